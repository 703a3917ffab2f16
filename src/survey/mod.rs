//! Survey metrics: Net Promoter Score, Customer Effort Score, CSAT.
