//! The TIP Atlas domain model: the `tip.v1` message types generated from `proto/`, and the
//! rules every other crate shares: tiers, report years, resource names, the country registry,
//! completeness and tier histories.

pub mod completeness;
pub mod country;
pub mod coverage;
pub mod enum_names;
pub mod hex;
pub mod history;
pub mod names;
pub mod tier;
pub mod year;

/// The `tip.v1` messages, generated from `proto/tip/v1` at build time.
pub mod pb {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/tip.v1.rs"));
}

/// The encoded `FileDescriptorSet` of `proto/tip/v1`, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tip_descriptor.bin"));

pub use country::{Country, CountryRegistry, Iso3};
pub use names::{NameError, ReportName};
pub use tier::parse_tier;
pub use year::ReportYear;
