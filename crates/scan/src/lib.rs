//! The configuration scanner: a resource model, readers for Terraform HCL, plan/state JSON
//! and inventory snapshots, a rule compiler and evaluator, and report writers.

pub mod docs;
pub mod engine;
pub mod eval;
pub mod input;
pub mod mlps;
pub mod model;
pub mod packs;
pub mod report;
pub mod rules;
pub mod value;
