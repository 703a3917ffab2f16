//! Customer Effort Score on its two scales, as two distinct types.

use super::likert::scale_metric;

scale_metric! {
    /// Customer Effort Score 2.0 on the 1..=7 agreement scale (Dixon, Toman & DeLisi 2013):
    /// "\[Company\] made it easy for me to handle my issue", 1 = strongly disagree … 7 = strongly
    /// agree. Higher is better; the favourable share is the share agreeing (5..=7).
    ///
    /// A distinct type from [`CesEffort`]: the two scales cannot be merged into each other.
    ///
    /// ```
    /// use customer_metrics::{CesAgreement, Metric};
    ///
    /// let mut ces = CesAgreement::default();
    /// ces.record_all([7, 6, 5, 2].map(Into::into))?;
    /// let report = ces.value().expect("four responses");
    /// assert_eq!(report.favourable_share(), 0.75); // 3 of 4 agree
    /// assert_eq!(report.mean(), 5.0);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    CesAgreement, tag "ces_agreement", scale 1..=7, levels 7, favourable 5..=7
}

scale_metric! {
    /// Customer Effort Score 1.0 on the 1..=5 effort scale (Dixon, Freeman & Toman 2010):
    /// "How much effort did you personally have to put forth to handle your request?",
    /// 1 = very low effort … 5 = very high effort. Lower is better; the favourable share is the
    /// share of low effort (1..=2), and the mean is usually reported directly.
    ///
    /// A distinct type from [`CesAgreement`]: the two scales cannot be merged into each other.
    ///
    /// ```compile_fail
    /// use customer_metrics::{CesAgreement, CesEffort, Metric};
    /// let mut effort = CesEffort::default();
    /// effort.merge(&CesAgreement::default()); // scales never mix
    /// ```
    CesEffort, tag "ces_effort", scale 1..=5, levels 5, favourable 1..=2
}
