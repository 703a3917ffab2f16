//! Customer satisfaction (CSAT) on the 1..=5 scale.

use super::likert::scale_metric;

scale_metric! {
    /// Customer satisfaction on the 1..=5 scale ("How satisfied were you with …?"): the share
    /// satisfied (top-2 box, 4..=5; Farris et al., *Marketing Metrics*) and the mean.
    ///
    /// ```
    /// use customer_metrics::{Csat, Metric};
    ///
    /// let mut csat = Csat::default();
    /// csat.record_all([5, 4, 4, 3, 1].map(Into::into))?;
    /// let report = csat.value().expect("five responses");
    /// assert!((report.favourable_share() - 0.6).abs() < 1e-15); // 3 of 5 satisfied
    /// let ci = report.favourable_interval(0.95)?; // Wilson
    /// assert!(ci.lower() < 0.6 && 0.6 < ci.upper());
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    Csat, tag "csat", scale 1..=5, levels 5, favourable 4..=5
}
