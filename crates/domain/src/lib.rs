//! The pure core of cloudward: the control catalog and the guide's reference data as
//! values, their validation, and protection-level classification.
//!
//! Nothing here does IO. Callers hand in the text of content files ([`load::Source`]) and
//! get values or a list of [`problem::Problem`]s back; the CLI and (later) the server
//! decide how to read files and how to print.

pub mod catalog;
pub mod check;
pub mod classify;
pub mod engagement;
pub mod guide;
pub mod i18n;
pub mod lang;
pub mod level;
pub mod load;
pub mod mlps;
pub mod problem;
pub mod regions;
pub mod responsibility;
pub mod template;
pub mod workflow;

pub use lang::{Lang, Text};
pub use level::ProtectionLevel;
