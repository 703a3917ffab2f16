//! Numerical building blocks shared by the metrics and models (crate-private).

pub(crate) mod decimal;
pub(crate) mod gamma_shift;
pub(crate) mod incomplete_gamma;
pub(crate) mod log_concave;
pub(crate) mod optimize;
pub(crate) mod quadrature;
pub(crate) mod random;
pub(crate) mod special;
