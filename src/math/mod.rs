//! Numerical building blocks shared by the metrics (crate-private).

pub(crate) mod special;
