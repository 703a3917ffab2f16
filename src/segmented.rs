//! Any [`Metric`] broken down by segment.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::{Error, Metric, Result};

/// A [`Metric`] kept per segment label `K` (a region, a plan, a cohort…), itself a [`Metric`]
/// over `(segment, input)` pairs.
///
/// Segments appear when their first observation is recorded (a rejected observation creates
/// nothing), so every stored segment is non-empty. Merging merges segment by segment, and
/// [`total`](Self::total) merges all segments, so the laws of `M` carry over.
///
/// ```
/// use customer_metrics::{Csat, Metric, Response, Segmented};
///
/// let mut by_plan: Segmented<String, Csat> = Segmented::default();
/// by_plan.record(("pro".to_string(), Response::from(5)))?;
/// by_plan.record(("free".to_string(), Response::from(2)))?;
/// by_plan.record(("free".to_string(), Response::from(4)))?;
/// let report = by_plan.value().expect("three responses");
/// assert_eq!(report.segments["free"].favourable_share(), 0.5);
/// assert!((report.total.mean() - 11.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(bound(serialize = "K: Serialize, M: Serialize"))]
pub struct Segmented<K: Ord, M> {
    segments: BTreeMap<K, M>,
}

impl<K: Ord, M: Metric + PartialEq> Segmented<K, M> {
    /// Checks a deserialised breakdown: no stored segment is empty.
    fn checked(self) -> Result<Self> {
        let empty = M::default();
        if self.segments.values().any(|m| *m == empty) {
            return Err(Error::Mismatch { what: "segmented metric: a stored segment is empty".into() });
        }
        Ok(self)
    }
}

// What `checked_serde!` (src/serde_checked.rs) does, by hand: the macro takes no generics.
impl<'de, K, M> Deserialize<'de> for Segmented<K, M>
where
    K: Ord + Deserialize<'de>,
    M: Metric + PartialEq + Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let unchecked = {
            // The unchecked twin, named like the type so that serde's messages name the type.
            #[derive(Deserialize)]
            #[serde(bound(deserialize = "K: Ord + Deserialize<'de>, M: Deserialize<'de>"))]
            struct Segmented<K: Ord, M> {
                segments: BTreeMap<K, M>,
            }
            let Segmented { segments } = Segmented::deserialize(deserializer)?;
            Self { segments }
        };
        unchecked.checked().map_err(serde::de::Error::custom)
    }
}

impl<K: Ord, M> Default for Segmented<K, M> {
    fn default() -> Self {
        Segmented { segments: BTreeMap::new() }
    }
}

impl<K: Ord + Clone, M: Metric + Clone> Segmented<K, M> {
    /// An empty breakdown (same as `default()`).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The metric of one segment, if it has observations.
    #[must_use]
    pub fn segment(&self, key: &K) -> Option<&M> {
        self.segments.get(key)
    }

    /// The value of one segment, if it has observations.
    #[must_use]
    pub fn segment_value(&self, key: &K) -> Option<M::Output> {
        self.segments.get(key).and_then(Metric::value)
    }

    /// Every segment, in key order.
    #[must_use]
    pub fn segments(&self) -> &BTreeMap<K, M> {
        &self.segments
    }

    /// Number of segments.
    #[must_use]
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// All segments merged: the metric of every observation, ignoring the labels.
    ///
    /// # Errors
    /// When merging overflows (see `M::merge`).
    pub fn total(&self) -> Result<M> {
        self.merged(|_| true)
    }

    /// Every segment but `key` merged (for "segment vs the rest" comparisons).
    ///
    /// # Errors
    /// When merging overflows (see `M::merge`).
    pub fn rest(&self, key: &K) -> Result<M> {
        self.merged(|k| k != key)
    }

    fn merged(&self, keep: impl Fn(&K) -> bool) -> Result<M> {
        let mut out = M::default();
        for (_, m) in self.segments.iter().filter(|(k, _)| keep(k)) {
            out.merge(m)?;
        }
        Ok(out)
    }
}

/// The value of a [`Segmented`] metric: the total over every segment and each segment's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize, O: Serialize",
    deserialize = "K: Ord + Deserialize<'de>, O: Deserialize<'de>"
))]
pub struct SegmentedReport<K: Ord, O> {
    /// The value over all segments together.
    pub total: O,
    /// Each segment's value, in key order.
    pub segments: BTreeMap<K, O>,
}

impl<K: Ord + Clone, M: Metric + Clone> Metric for Segmented<K, M> {
    type Input = (K, M::Input);
    type Output = SegmentedReport<K, M::Output>;

    /// Records the input into its segment (created on its first accepted observation).
    ///
    /// # Errors
    /// The segment metric's error; nothing changes then.
    fn record(&mut self, (key, input): (K, M::Input)) -> Result<()> {
        if let Some(metric) = self.segments.get_mut(&key) {
            return metric.record(input);
        }
        let mut metric = M::default();
        metric.record(input)?;
        self.segments.insert(key, metric);
        Ok(())
    }

    /// Merges segment by segment; all or nothing.
    fn merge(&mut self, other: &Self) -> Result<()> {
        let mut out = self.segments.clone();
        for (key, metric) in &other.segments {
            match out.get_mut(key) {
                Some(mine) => mine.merge(metric)?,
                None => {
                    out.insert(key.clone(), metric.clone());
                }
            }
        }
        self.segments = out;
        Ok(())
    }

    /// `None` while empty (or, in theory, when the total overflows while merging).
    fn value(&self) -> Option<Self::Output> {
        let total = self.total().ok()?.value()?;
        let segments = self.segments.iter().filter_map(|(k, m)| Some((k.clone(), m.value()?))).collect();
        Some(SegmentedReport { total, segments })
    }
}
