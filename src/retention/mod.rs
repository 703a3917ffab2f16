//! Churn and retention: period rates, revenue retention, cohort tables, Kaplan-Meier survival.
