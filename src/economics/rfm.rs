//! Recency, frequency and monetary (RFM) scores by quantile bins, and named segments.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::RangeInclusive;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::serde_checked::checked_serde;
use crate::{CustomerRecord, CustomerSummary, Error, Result, Summaries};

/// How customers with equal values are scored (see [`RfmScores`] for the formulas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RfmTies {
    /// Equal values get equal scores: a run of tied customers gets the bin of its middle
    /// position (mid-rank). Scores are a non-decreasing function of the value; bins may be
    /// unequal in size when many customers tie (for example one-time buyers on frequency).
    #[default]
    Share,
    /// Equal-size bins (`NTILE` in SQL, `pd.qcut(x.rank(method="first"))`): ties are broken by
    /// customer id ascending, so equal values may get neighbouring scores, but bin sizes differ
    /// by at most one customer.
    ById,
}

/// Whether F and M are scored over all customers or within groups (Miglautsch 2000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RfmSort {
    /// Each dimension over all customers (the common convention).
    #[default]
    Independent,
    /// Hughes's nested sort: R over all customers, F within each R score, M within each
    /// (R, F) cell — so every R group spans all F scores, and every cell all M scores.
    Nested,
}

checked_serde! {
    /// Settings of [`RfmScores`]: the number of quantile bins (scores `1..=bins`, default 5,
    /// allowed 2 to 9 so that a cell code such as `"545"` has one digit per score), the tie
    /// rule (default [`RfmTies::Share`]) and independent or nested sorting (default
    /// [`RfmSort::Independent`]). Setters never fail; [`RfmScores::new`] checks.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct RfmOptions {
        bins: u8,
        ties: RfmTies,
        #[serde(default)]
        sort: RfmSort,
    }
    check = |o| o.checked()
}

impl Default for RfmOptions {
    fn default() -> Self {
        RfmOptions { bins: 5, ties: RfmTies::Share, sort: RfmSort::Independent }
    }
}

impl RfmOptions {
    /// The number of bins, scores `1..=bins` (checked by [`RfmScores::new`]: 2 to 9).
    #[must_use]
    pub fn bins(mut self, bins: u8) -> Self {
        self.bins = bins;
        self
    }

    /// The tie rule.
    #[must_use]
    pub fn ties(mut self, ties: RfmTies) -> Self {
        self.ties = ties;
        self
    }

    /// Independent or nested sorting.
    #[must_use]
    pub fn sort(mut self, sort: RfmSort) -> Self {
        self.sort = sort;
        self
    }

    /// The sorting.
    #[must_use]
    pub fn sorting(&self) -> RfmSort {
        self.sort
    }

    /// The number of bins.
    #[must_use]
    pub fn bin_count(&self) -> u8 {
        self.bins
    }

    /// The tie rule.
    #[must_use]
    pub fn tie_rule(&self) -> RfmTies {
        self.ties
    }

    fn checked(self) -> Result<Self> {
        if !(2..=9).contains(&self.bins) {
            return Err(Error::param("bins", self.bins, "2 to 9 bins (5 for quintiles)"));
        }
        Ok(self)
    }
}

checked_serde! {
    /// One customer's raw recency, frequency and monetary value (FORMULAS §7; Hughes,
    /// *Strategic Database Marketing*):
    ///
    /// - `recency`: periods since the last purchase at the analysis date (smaller is better),
    ///   finite and `>= 0`;
    /// - `frequency`: number of purchases;
    /// - `monetary`: spend (mean or total: the caller's choice; `>= 0`).
    ///
    /// From the transaction summaries: [`RfmObservation::from_summary`] and
    /// [`RfmObservation::from_record`].
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct RfmObservation {
        recency: f64,
        frequency: u64,
        monetary: Decimal,
    }
    check = |o| RfmObservation::new(o.recency, o.frequency, o.monetary)
}

impl RfmObservation {
    /// A checked observation.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `recency` when negative or not finite, or `monetary`
    /// when negative.
    pub fn new(recency: f64, frequency: u64, monetary: Decimal) -> Result<Self> {
        if !(recency.is_finite() && recency >= 0.0) {
            return Err(Error::param("recency", recency, "periods since the last purchase, finite and >= 0"));
        }
        if monetary < Decimal::ZERO {
            return Err(Error::param("monetary", monetary, "spend >= 0"));
        }
        Ok(RfmObservation { recency, frequency, monetary })
    }

    /// From a transaction summary, at the analysis date the summary was built for (its
    /// calibration end):
    ///
    /// - recency = `T − t_x` (age minus the time of the last purchase: periods since it);
    /// - frequency = `x + 1`, all purchase periods including the first;
    /// - monetary = `z̄`, the mean repeat spend. A summary holds no first-purchase amount, so a
    ///   one-time buyer has monetary 0 (and the lowest M score); build the observation with
    ///   [`RfmObservation::new`] to use total spend instead.
    #[must_use]
    pub fn from_summary(summary: &CustomerSummary) -> Self {
        RfmObservation {
            recency: (summary.age() - summary.recency()).max(0.0),
            frequency: u64::from(summary.frequency()) + 1,
            monetary: summary.monetary_value(),
        }
    }

    /// From a customer record, at `analysis_date`, with `period_days` days per period (the
    /// period length the summaries were built with): recency = `(analysis_date − first
    /// purchase) / period_days − t_x`, frequency and monetary as in
    /// [`RfmObservation::from_summary`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `period_days` when not finite and `> 0`, or
    /// `analysis_date` when it is before the customer's last purchase.
    pub fn from_record<Id>(
        record: &CustomerRecord<Id>,
        analysis_date: NaiveDate,
        period_days: f64,
    ) -> Result<Self> {
        if !(period_days.is_finite() && period_days > 0.0) {
            return Err(Error::param("period_days", period_days, "a period length in days, finite and > 0"));
        }
        let age = (analysis_date - record.first_purchase).num_days() as f64 / period_days;
        let recency = age - record.summary.recency();
        // Rounding of fractional periods: allow a hair below zero on the day of the last purchase.
        if recency.is_nan() || recency <= -1e-9 {
            return Err(Error::param(
                "analysis_date",
                analysis_date,
                "on or after the customer's last purchase",
            ));
        }
        Ok(RfmObservation { recency: recency.max(0.0), ..Self::from_summary(&record.summary) })
    }

    /// Periods since the last purchase.
    #[must_use]
    pub fn recency(&self) -> f64 {
        self.recency
    }

    /// Number of purchases.
    #[must_use]
    pub fn frequency(&self) -> u64 {
        self.frequency
    }

    /// Spend.
    #[must_use]
    pub fn monetary(&self) -> Decimal {
        self.monetary
    }
}

/// One customer's RFM scores, each in `1..=bins` (higher is better: most recent, most
/// frequent, biggest spender).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmScore<Id> {
    /// The customer.
    pub customer: Id,
    /// The raw values that were scored.
    pub observation: RfmObservation,
    /// Recency score R.
    pub recency: u8,
    /// Frequency score F.
    pub frequency: u8,
    /// Monetary score M.
    pub monetary: u8,
}

impl<Id> RfmScore<Id> {
    /// The RFM cell code, R then F then M, for example `"545"`.
    #[must_use]
    pub fn code(&self) -> String {
        format!("{}{}{}", self.recency, self.frequency, self.monetary)
    }

    /// The two-character RF code, for example `"54"` (the key of the default segment map).
    #[must_use]
    pub fn rf_code(&self) -> String {
        format!("{}{}", self.recency, self.frequency)
    }

    /// The composite score R + F + M (3 to `3·bins`).
    #[must_use]
    pub fn sum(&self) -> u8 {
        self.recency + self.frequency + self.monetary
    }
}

/// RFM scores of a customer base by quantile bins (FORMULAS §7; Hughes 1994,
/// *Strategic Database Marketing*; Miglautsch 2000, "Thoughts on RFM Scoring", *Journal of
/// Database Marketing* 8(1)).
///
/// Each dimension is scored over all `n` customers independently. Customers are put in order
/// from worst to best — recency descending (longest since the last purchase first), frequency
/// and monetary ascending — with **equal values ordered by customer id ascending**, which makes
/// every score a function of the set of customers, not of the input order. The customer at
/// 0-based position `p` of that order gets, with `B` bins:
///
/// - [`RfmTies::ById`]: `score = ⌊p·B/n⌋ + 1` (equal-size bins, like SQL `NTILE(B)`);
/// - [`RfmTies::Share`] (default): every customer of a run of equal values at positions `a..b`
///   gets the score of the run's middle, `⌊(a + b − 1)·B/(2n)⌋ + 1`.
///
/// Either way the best `n/B` customers get `B` and the worst get 1 (ties permitting), and
/// every score is in `1..=B`. With [`RfmSort::Nested`] the same rule scores F within each group of
/// customers with the same R score (`n` = the group's size), and M within each (R, F) cell.
///
/// ```
/// use customer_metrics::{RfmObservation, RfmOptions, RfmScores, SegmentRules};
/// use rust_decimal::Decimal;
///
/// let customers = (1..=10).map(|i| {
///     // Customer i bought i times, last 11 − i weeks ago, spending 10·i.
///     (i, RfmObservation::new(f64::from(11 - i), u64::from(i as u8), Decimal::from(10 * i)))
/// });
/// let customers: Vec<_> = customers.map(|(i, o)| Ok((i, o?))).collect::<customer_metrics::Result<_>>()?;
/// let scores = RfmScores::new(RfmOptions::default(), customers)?;
/// let best = scores.get(&10).expect("customer 10");
/// assert_eq!(best.code(), "555");
/// assert_eq!(scores.get(&1).map(|s| s.code()), Some("111".to_string()));
/// let rules = SegmentRules::default(); // the 10-segment RF map
/// assert_eq!(rules.classify(best)?, "Champions");
/// assert_eq!(rules.classify(scores.get(&1).expect("customer 1"))?, "Hibernating");
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(bound(serialize = "Id: Serialize"))]
pub struct RfmScores<Id> {
    options: RfmOptions,
    scores: Vec<RfmScore<Id>>,
}

/// Scores of one dimension for items already in worst-to-best order; `same(i)` says whether
/// item `i` ties with item `i − 1`.
fn bin_scores(n: usize, bins: u8, ties: RfmTies, same: impl Fn(usize) -> bool) -> Vec<u8> {
    let (n128, b) = (n as u128, u128::from(bins));
    let score = |twice_position: u128| {
        // ⌊twice_position·B/(2n)⌋ + 1, in 1..=B because twice_position <= 2(n − 1).
        (twice_position * b / (2 * n128)) as u8 + 1
    };
    let mut out = vec![0u8; n];
    match ties {
        RfmTies::ById => {
            for (p, s) in out.iter_mut().enumerate() {
                *s = score(2 * p as u128);
            }
        }
        RfmTies::Share => {
            let mut start = 0;
            while start < n {
                let mut end = start + 1;
                while end < n && same(end) {
                    end += 1;
                }
                let s = score((start + end - 1) as u128);
                for slot in out.iter_mut().take(end).skip(start) {
                    *slot = s;
                }
                start = end;
            }
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Dimension {
    Recency,
    Frequency,
    Monetary,
}

/// Scores `subset` (indices in ascending order) on one dimension into `out`.
fn score_subset(
    observations: &[RfmObservation],
    subset: Vec<usize>,
    dimension: Dimension,
    options: RfmOptions,
    out: &mut [u8],
) {
    // Worst first: recency descending, frequency and monetary ascending.
    match dimension {
        Dimension::Recency => {
            score_by(observations, subset, |o| o.recency, |a, b| b.total_cmp(a), options, out);
        }
        Dimension::Frequency => score_by(observations, subset, |o| o.frequency, Ord::cmp, options, out),
        Dimension::Monetary => score_by(observations, subset, |o| o.monetary, Ord::cmp, options, out),
    }
}

/// Sorts `subset` by `key` with `cmp` (stable, so ascending indices keep id order in ties) and
/// writes the bin scores into `out`.
fn score_by<K: Copy + PartialEq>(
    observations: &[RfmObservation],
    subset: Vec<usize>,
    key: impl Fn(&RfmObservation) -> K,
    cmp: impl Fn(&K, &K) -> std::cmp::Ordering,
    options: RfmOptions,
    out: &mut [u8],
) {
    let mut keyed: Vec<(K, usize)> =
        subset.into_iter().filter_map(|i| observations.get(i).map(|o| (key(o), i))).collect();
    keyed.sort_by(|a, b| cmp(&a.0, &b.0));
    let same = |k: usize| match (keyed.get(k), k.checked_sub(1).and_then(|j| keyed.get(j))) {
        (Some(x), Some(y)) => x.0 == y.0,
        _ => false,
    };
    let scores = bin_scores(keyed.len(), options.bins, options.ties, same);
    for ((_, i), score) in keyed.iter().zip(scores) {
        if let Some(slot) = out.get_mut(*i) {
            *slot = score;
        }
    }
}

/// The indices `0..n` grouped by `key`, each group in ascending order.
fn groups(n: usize, key: impl Fn(usize) -> (u8, u8)) -> Vec<Vec<usize>> {
    let mut by_key: BTreeMap<(u8, u8), Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        by_key.entry(key(i)).or_default().push(i);
    }
    by_key.into_values().collect()
}

impl<Id: Ord + Clone + Debug> RfmScores<Id> {
    /// Scores `(customer, observation)` pairs.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `bins` when not 2 to 9; [`Error::Mismatch`] naming a
    /// customer that appears twice.
    pub fn new(
        options: RfmOptions,
        customers: impl IntoIterator<Item = (Id, RfmObservation)>,
    ) -> Result<Self> {
        let options = options.checked()?;
        let mut items: Vec<(Id, RfmObservation)> = customers.into_iter().collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = items.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::Mismatch { what: format!("RFM: customer {:?} appears twice", w[0].0) });
        }
        let n = items.len();
        let observations: Vec<RfmObservation> = items.iter().map(|(_, o)| *o).collect();
        let (mut r, mut f, mut m) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        // Index sets are kept in ascending order (= id order), so a stable sort by value keeps
        // id order within ties.
        let everyone: Vec<usize> = (0..n).collect();
        score_subset(&observations, everyone.clone(), Dimension::Recency, options, &mut r);
        match options.sort {
            RfmSort::Independent => {
                score_subset(&observations, everyone.clone(), Dimension::Frequency, options, &mut f);
                score_subset(&observations, everyone, Dimension::Monetary, options, &mut m);
            }
            RfmSort::Nested => {
                for group in groups(n, |i| (r[i], 0)) {
                    score_subset(&observations, group, Dimension::Frequency, options, &mut f);
                }
                for group in groups(n, |i| (r[i], f[i])) {
                    score_subset(&observations, group, Dimension::Monetary, options, &mut m);
                }
            }
        }
        let scores = items
            .into_iter()
            .enumerate()
            .map(|(i, (customer, observation))| RfmScore {
                customer,
                observation,
                recency: r[i],
                frequency: f[i],
                monetary: m[i],
            })
            .collect();
        Ok(RfmScores { options, scores })
    }

    /// Scores every customer of built summaries at their calibration end (see
    /// [`RfmObservation::from_summary`]).
    ///
    /// # Errors
    /// As [`RfmScores::new`].
    pub fn from_summaries(options: RfmOptions, summaries: &Summaries<Id>) -> Result<Self> {
        Self::new(
            options,
            summaries.customers.iter().map(|c| (c.id.clone(), RfmObservation::from_summary(&c.summary))),
        )
    }

    /// The settings the scores were computed with.
    #[must_use]
    pub fn options(&self) -> RfmOptions {
        self.options
    }

    /// Every customer's scores, by customer id.
    #[must_use]
    pub fn scores(&self) -> &[RfmScore<Id>] {
        &self.scores
    }

    /// One customer's scores.
    #[must_use]
    pub fn get(&self, customer: &Id) -> Option<&RfmScore<Id>> {
        self.scores.binary_search_by(|s| s.customer.cmp(customer)).ok().and_then(|i| self.scores.get(i))
    }

    fn check_bins(&self, rules: &SegmentRules) -> Result<()> {
        if rules.bins != self.options.bins {
            return Err(Error::Mismatch {
                what: format!(
                    "RFM segments: rules for {} bins applied to scores with {} bins",
                    rules.bins, self.options.bins
                ),
            });
        }
        Ok(())
    }

    /// Each customer's segment under `rules`, by customer id.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the rules are written for another number of bins than the
    /// scores'; otherwise as [`SegmentRules::classify`].
    pub fn segments<'r>(&self, rules: &'r SegmentRules) -> Result<Vec<(Id, &'r str)>> {
        self.check_bins(rules)?;
        self.scores.iter().map(|s| Ok((s.customer.clone(), rules.classify(s)?))).collect()
    }

    /// The number of customers in each segment under `rules`.
    ///
    /// # Errors
    /// As [`RfmScores::segments`].
    pub fn segment_counts(&self, rules: &SegmentRules) -> Result<BTreeMap<String, u64>> {
        self.check_bins(rules)?;
        let mut counts = BTreeMap::new();
        for s in &self.scores {
            *counts.entry(rules.classify(s)?.to_string()).or_insert(0) += 1;
        }
        Ok(counts)
    }
}

impl<'de, Id> Deserialize<'de> for RfmScores<Id>
where
    Id: Ord + Clone + Debug + Deserialize<'de>,
{
    /// Re-scores the stored observations and rejects stored scores that disagree.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(bound(deserialize = "Id: Deserialize<'de>"))]
        struct RfmScores<Id> {
            options: RfmOptions,
            scores: Vec<RfmScore<Id>>,
        }
        let raw = RfmScores::<Id>::deserialize(deserializer)?;
        let rebuilt = Self::new(raw.options, raw.scores.iter().map(|s| (s.customer.clone(), s.observation)))
            .map_err(serde::de::Error::custom)?;
        if rebuilt.scores != raw.scores {
            return Err(serde::de::Error::custom(Error::Mismatch {
                what: "RFM scores: stored scores disagree with the observations".into(),
            }));
        }
        Ok(rebuilt)
    }
}

checked_serde! {
    /// An inclusive range of scores, `min..=max` with `1 <= min <= max`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ScoreRange {
        min: u8,
        max: u8,
    }
    check = |r| ScoreRange::new(r.min..=r.max)
}

impl ScoreRange {
    /// A checked range.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `score range` when empty or starting at 0.
    pub fn new(range: RangeInclusive<u8>) -> Result<Self> {
        let (min, max) = (*range.start(), *range.end());
        if min == 0 || min > max {
            return Err(Error::param(
                "score range",
                format!("{min}..={max}"),
                "a range min..=max with 1 <= min <= max",
            ));
        }
        Ok(ScoreRange { min, max })
    }

    /// Any score `1..=9`.
    #[must_use]
    pub fn any() -> Self {
        ScoreRange { min: 1, max: 9 }
    }

    /// Whether `score` is in the range.
    #[must_use]
    pub fn contains(&self, score: u8) -> bool {
        (self.min..=self.max).contains(&score)
    }
}

checked_serde! {
    /// A named segment: the customers whose R, F and M scores are all in the given ranges.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct SegmentRule {
        name: String,
        recency: ScoreRange,
        frequency: ScoreRange,
        monetary: ScoreRange,
    }
    check = |r| {
        if r.name.is_empty() {
            return Err(Error::param("segment name", "\"\"", "a non-empty name"));
        }
        Ok(r)
    }
}

impl SegmentRule {
    /// The segment `name` of scores R in `recency`, F in `frequency` and M in `monetary`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the name is empty or a range is invalid
    /// ([`ScoreRange::new`]).
    pub fn new(
        name: impl Into<String>,
        recency: RangeInclusive<u8>,
        frequency: RangeInclusive<u8>,
        monetary: RangeInclusive<u8>,
    ) -> Result<Self> {
        let name = name.into();
        if name.is_empty() {
            return Err(Error::param("segment name", "\"\"", "a non-empty name"));
        }
        Ok(SegmentRule {
            name,
            recency: ScoreRange::new(recency)?,
            frequency: ScoreRange::new(frequency)?,
            monetary: ScoreRange::new(monetary)?,
        })
    }

    /// A rule on the R and F scores only (any M).
    ///
    /// # Errors
    /// As [`SegmentRule::new`].
    pub fn rf(
        name: impl Into<String>,
        recency: RangeInclusive<u8>,
        frequency: RangeInclusive<u8>,
    ) -> Result<Self> {
        Self::new(name, recency, frequency, 1..=9)
    }

    /// The segment's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether scores (R, F, M) fall in this segment.
    #[must_use]
    pub fn matches(&self, recency: u8, frequency: u8, monetary: u8) -> bool {
        self.recency.contains(recency)
            && self.frequency.contains(frequency)
            && self.monetary.contains(monetary)
    }
}

checked_serde! {
    /// Named RFM segments: rules tried in order, the first match wins, and an optional fallback
    /// segment for scores no rule matches. Rules are written for a number of bins:
    /// [`RfmScores::segments`] refuses scores made with another number of bins, and
    /// [`SegmentRules::classify_scores`] scores outside `1..=bins`.
    ///
    /// The default is the widely used 10-segment map on the R and F scores with 5 bins
    /// (FORMULAS §7; it covers all 25 RF cells exactly once, so it needs no fallback, and it
    /// ignores M):
    ///
    /// | R | F | segment |
    /// |---|---|---|
    /// | 5 | 4–5 | Champions |
    /// | 3–4 | 4–5 | Loyal Customers |
    /// | 4–5 | 2–3 | Potential Loyalists |
    /// | 5 | 1 | New Customers |
    /// | 4 | 1 | Promising |
    /// | 3 | 3 | Need Attention |
    /// | 3 | 1–2 | About to Sleep |
    /// | 1–2 | 5 | Can't Lose Them |
    /// | 1–2 | 3–4 | At Risk |
    /// | 1–2 | 1–2 | Hibernating |
    ///
    /// It is a convention seen in many public notebooks, not a standard: supply your own with
    /// [`SegmentRules::new`].
    ///
    /// ```
    /// use customer_metrics::{SegmentRule, SegmentRules};
    ///
    /// // Three bins: best customers, lapsed big spenders, everyone else.
    /// let rules = SegmentRules::new(
    ///     3,
    ///     vec![
    ///         SegmentRule::new("Best", 3..=3, 3..=3, 2..=3)?,
    ///         SegmentRule::new("Lapsed big spenders", 1..=1, 1..=3, 3..=3)?,
    ///     ],
    ///     Some("Others".to_string()),
    /// )?;
    /// assert_eq!(rules.classify_scores(3, 3, 3)?, "Best");
    /// assert_eq!(rules.classify_scores(1, 2, 3)?, "Lapsed big spenders");
    /// assert_eq!(rules.classify_scores(2, 2, 2)?, "Others");
    /// assert_eq!(SegmentRules::default().classify_scores(3, 3, 1)?, "Need Attention");
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct SegmentRules {
        bins: u8,
        rules: Vec<SegmentRule>,
        fallback: Option<String>,
    }
    check = |r| SegmentRules::new(r.bins, r.rules, r.fallback)
}

impl Default for SegmentRules {
    /// The 10-segment RF map (see the type's docs).
    fn default() -> Self {
        let rule = |name: &str, r: (u8, u8), f: (u8, u8)| SegmentRule {
            name: name.to_string(),
            recency: ScoreRange { min: r.0, max: r.1 },
            frequency: ScoreRange { min: f.0, max: f.1 },
            monetary: ScoreRange { min: 1, max: 5 },
        };
        SegmentRules {
            bins: 5,
            rules: vec![
                rule("Champions", (5, 5), (4, 5)),
                rule("Loyal Customers", (3, 4), (4, 5)),
                rule("Potential Loyalists", (4, 5), (2, 3)),
                rule("New Customers", (5, 5), (1, 1)),
                rule("Promising", (4, 4), (1, 1)),
                rule("Need Attention", (3, 3), (3, 3)),
                rule("About to Sleep", (3, 3), (1, 2)),
                rule("Can't Lose Them", (1, 2), (5, 5)),
                rule("At Risk", (1, 2), (3, 4)),
                rule("Hibernating", (1, 2), (1, 2)),
            ],
            fallback: None,
        }
    }
}

impl SegmentRules {
    /// Rules for scores with `bins` bins (2 to 9), tried in order, with an optional fallback
    /// segment name. A rule's ranges may extend beyond `bins` (for example [`SegmentRule::rf`]'s
    /// any-M range `1..=9`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `bins` when not 2 to 9, or `segment name` when the
    /// fallback is empty; [`Error::NotEnoughData`] with neither rules nor a fallback.
    pub fn new(bins: u8, rules: Vec<SegmentRule>, fallback: Option<String>) -> Result<Self> {
        RfmOptions::default().bins(bins).checked()?;
        if fallback.as_deref() == Some("") {
            return Err(Error::param("segment name", "\"\"", "a non-empty fallback name"));
        }
        if rules.is_empty() && fallback.is_none() {
            return Err(Error::NotEnoughData { what: "RFM segment rules", needed: 1, got: 0 });
        }
        for rule in &rules {
            if rule.name.is_empty() {
                return Err(Error::param("segment name", "\"\"", "a non-empty name"));
            }
        }
        Ok(SegmentRules { bins, rules, fallback })
    }

    /// The number of bins the rules are written for.
    #[must_use]
    pub fn bins(&self) -> u8 {
        self.bins
    }

    /// The rules, in the order they are tried.
    #[must_use]
    pub fn rules(&self) -> &[SegmentRule] {
        &self.rules
    }

    /// The segment of scores R, F, M (each `1..=bins`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `score` when a score is outside `1..=bins`;
    /// [`Error::Mismatch`] when no rule matches and there is no fallback.
    pub fn classify_scores(&self, recency: u8, frequency: u8, monetary: u8) -> Result<&str> {
        for score in [recency, frequency, monetary] {
            if score == 0 || score > self.bins {
                return Err(Error::param("score", score, "a score in 1..=bins of the segment rules"));
            }
        }
        self.rules
            .iter()
            .find(|r| r.matches(recency, frequency, monetary))
            .map(SegmentRule::name)
            .or(self.fallback.as_deref())
            .ok_or_else(|| Error::Mismatch {
                what: format!("RFM segments: no rule matches the cell {recency}{frequency}{monetary}"),
            })
    }

    /// The segment of a customer's scores.
    ///
    /// # Errors
    /// As [`SegmentRules::classify_scores`].
    pub fn classify<Id>(&self, score: &RfmScore<Id>) -> Result<&str> {
        self.classify_scores(score.recency, score.frequency, score.monetary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_by_hand() {
        // n = 10, B = 5, no ties: positions 0..9 → 1,1,2,2,3,3,4,4,5,5.
        let s = bin_scores(10, 5, RfmTies::ById, |_| false);
        assert_eq!(s, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // n = 7, B = 5: ⌊5p/7⌋ + 1 = 1,1,2,3,3,4,5.
        assert_eq!(bin_scores(7, 5, RfmTies::ById, |_| false), [1, 1, 2, 3, 3, 4, 5]);
        // RfmTies: positions 0..=5 tied (six of ten) → middle 2.5 → ⌊2.5·5/10⌋ + 1 = 2.
        let s = bin_scores(10, 5, RfmTies::Share, |k| k < 6);
        assert_eq!(s, [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]);
        // Tied at the top: positions 6..=9 → middle 7.5 → ⌊3.75⌋ + 1 = 4.
        assert_eq!(bin_scores(10, 5, RfmTies::Share, |k| k > 6), [1, 1, 2, 2, 3, 3, 4, 4, 4, 4]);
        assert!(bin_scores(0, 5, RfmTies::Share, |_| false).is_empty());
        assert_eq!(bin_scores(1, 5, RfmTies::Share, |_| false), [1]);
    }

    #[test]
    fn default_map_covers_each_cell_once() {
        let rules = SegmentRules::default();
        for r in 1..=5 {
            for f in 1..=5 {
                let hits = rules.rules().iter().filter(|rule| rule.matches(r, f, 3)).count();
                assert_eq!(hits, 1, "cell {r}{f}");
            }
        }
        assert!(rules.classify_scores(6, 1, 1).is_err());
        assert!(matches!(
            SegmentRules::new(1, vec![], None),
            Err(Error::InvalidParameter { name: "bins", .. })
        ));
        assert!(matches!(SegmentRules::new(3, vec![], None), Err(Error::NotEnoughData { .. })));
        let only = SegmentRules::new(3, vec![SegmentRule::rf("Top", 3..=3, 3..=3).unwrap()], None).unwrap();
        assert!(matches!(only.classify_scores(1, 1, 1), Err(Error::Mismatch { .. })));
        let (three, two) = (3, 2);
        assert!(ScoreRange::new(0..=2).is_err() && ScoreRange::new(three..=two).is_err());
    }

    #[test]
    fn observation_from_summary() {
        // x = 2, t_x = 30, T = 38: 8 periods since the last purchase, 3 purchases.
        let s = CustomerSummary::new(2, 30.0, 38.0, Decimal::from(20)).unwrap();
        let o = RfmObservation::from_summary(&s);
        assert_eq!((o.recency(), o.frequency(), o.monetary()), (8.0, 3, Decimal::from(20)));
        let record = CustomerRecord {
            id: 1,
            first_purchase: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            summary: CustomerSummary::new(1, 10.0, 20.0, Decimal::ONE).unwrap(),
        };
        // 2024-01-31 is 30 days after the first purchase: 30 − 10 = 20 days since the last.
        let at = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(RfmObservation::from_record(&record, at, 1.0).unwrap().recency(), 20.0);
        let early = NaiveDate::from_ymd_opt(2024, 1, 5).unwrap();
        assert!(matches!(
            RfmObservation::from_record(&record, early, 1.0),
            Err(Error::InvalidParameter { name: "analysis_date", .. })
        ));
        assert!(RfmObservation::from_record(&record, at, 0.0).is_err());
    }
}
