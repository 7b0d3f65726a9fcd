//! Countries: the registry's countries with their latest placement, and every year's placements.

use tip_model::pb::{self, Tier};
use tip_model::{Country, Iso3};

use super::requests::{CountryListing, PlacementListing};
use super::{Catalog, Page, blocking};
use crate::error::ApiError;
use crate::query_fields::SqlFilter;

impl Catalog {
    /// One country of the registry, with its latest placement.
    pub async fn get_country(&self, iso3: Iso3) -> Result<pb::Country, ApiError> {
        let country = self.registry.get(iso3).ok_or_else(|| ApiError::NotFound {
            resource_type: "tip.v1.Country",
            name: tip_model::names::country_name(iso3),
        })?;
        let filter = SqlFilter::default().and("iso3 = ?", iso3.to_string());
        let store = self.store.clone();
        let (rows, _) = blocking(move || store.list_countries(&filter, "iso3", 0, 1)).await?;
        Ok(country_message(country, rows.first().and_then(|r| r.1)))
    }

    /// A page of the registry's countries, filtered by region, code and latest tier.
    pub async fn list_countries(&self, listing: CountryListing) -> Result<Page<pb::Country>, ApiError> {
        let CountryListing { filter, order, page } = listing;
        let offset = self.offset(&page)?;
        let (store, limit) = (self.store.clone(), page.limit);
        let (rows, total) = blocking(move || store.list_countries(&filter, &order, offset, limit)).await?;
        let countries = rows
            .into_iter()
            .filter_map(|(iso3, latest)| self.registry.get(iso3).map(|c| country_message(c, latest)))
            .collect();
        Ok(self.page_of(&page, offset, countries, total))
    }

    /// A page of the placements of every country and year, as their tier histories settle them.
    pub async fn list_placements(&self, listing: PlacementListing) -> Result<Page<pb::Placement>, ApiError> {
        let PlacementListing { filter, order, page } = listing;
        let offset = self.offset(&page)?;
        let (store, limit) = (self.store.clone(), page.limit);
        let (rows, total) = blocking(move || store.list_placements(&filter, &order, offset, limit)).await?;
        let placements = rows
            .into_iter()
            .filter_map(|row| {
                let country = self.registry.get(row.iso3)?;
                Some(pb::Placement {
                    country: tip_model::names::country_name(row.iso3),
                    display_name: country.display_name.clone(),
                    region: country.region as i32,
                    year: row.year,
                    tier: row.tier,
                    previous_year: row.previous_year,
                    previous_tier: row.previous_tier,
                    movement: row.movement,
                    conflict: row.conflict,
                })
            })
            .collect();
        Ok(self.page_of(&page, offset, placements, total))
    }
}

fn country_message(country: &Country, latest: Option<(i32, Tier)>) -> pb::Country {
    pb::Country {
        name: tip_model::names::country_name(country.iso3),
        display_name: country.display_name.clone(),
        aliases: country.aliases.clone(),
        region: country.region as i32,
        latest_placement: latest.map(|(year, tier)| pb::TierPlacement { year, tier: tier as i32 }),
    }
}
