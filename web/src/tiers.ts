// How tiers, regions and moves are named and drawn. Every tier has a colour and a pattern (see
// the <pattern>s of index.html and the .tier-* rules of style.css), and every place that shows a
// tier also writes it out, so that tiers are told apart without colour.
import { Region, Tier } from "./gen/tip/v1/common_pb";
import { TierMovement } from "./gen/tip/v1/country_pb";
import { h } from "./dom";

export interface TierStyle {
  /** The report's own name. */
  label: string;
  /** A short form for tight places (timeline cells). */
  short: string;
  /** The CSS class suffix and pattern id: tier-t1, #p-t1. */
  key: string;
}

export const NO_DATA: TierStyle = { label: "No data", short: "–", key: "none" };

const STYLES: Record<Tier, TierStyle> = {
  [Tier.TIER_UNSPECIFIED]: NO_DATA,
  [Tier.TIER_1]: { label: "Tier 1", short: "1", key: "t1" },
  [Tier.TIER_2]: { label: "Tier 2", short: "2", key: "t2" },
  [Tier.TIER_2_WATCH_LIST]: { label: "Tier 2 Watch List", short: "2WL", key: "t2wl" },
  [Tier.TIER_3]: { label: "Tier 3", short: "3", key: "t3" },
  [Tier.TIER_SPECIAL_CASE]: { label: "Special Case", short: "SC", key: "sc" },
};

/** The ranked tiers in legend order, best first. */
export const TIERS: readonly Tier[] = [Tier.TIER_1, Tier.TIER_2, Tier.TIER_2_WATCH_LIST, Tier.TIER_3, Tier.TIER_SPECIAL_CASE];

export function tierStyle(tier: Tier | undefined): TierStyle {
  return tier === undefined ? NO_DATA : STYLES[tier];
}

/** The enum name, as data-tier attributes carry it: "TIER_2_WATCH_LIST", or "NO_DATA". */
export function tierName(tier: Tier | undefined): string {
  return tier === undefined || tier === Tier.TIER_UNSPECIFIED ? "NO_DATA" : Tier[tier];
}

/** A tier written out next to its swatch. */
export function tierBadge(tier: Tier | undefined): HTMLElement {
  const style = tierStyle(tier);
  return h("span", { class: `badge`, "data-tier": tierName(tier) }, h("span", { class: `swatch tier-${style.key}`, "aria-hidden": "true" }), style.label);
}

export const REGIONS: ReadonlyArray<readonly [Region, string, string]> = [
  [Region.AF, "AF", "Africa"],
  [Region.EAP, "EAP", "East Asia and Pacific"],
  [Region.EUR, "EUR", "Europe and Eurasia"],
  [Region.NEA, "NEA", "Near East"],
  [Region.SCA, "SCA", "South and Central Asia"],
  [Region.WHA, "WHA", "Western Hemisphere"],
];

export function regionName(region: Region): string {
  return REGIONS.find(([r]) => r === region)?.[2] ?? "Unknown region";
}

/** How a placement compares with the one before, as the server judged it (`movement`):
 * "upgraded from Tier 2 Watch List (2022)". */
export function changeText(movement: TierMovement, tier: Tier, previousTier: Tier, previousYear: number): string {
  const before = `${tierStyle(previousTier).label} (${previousYear})`;
  switch (movement) {
    case TierMovement.FIRST_RANKED:
      return "first ranked";
    case TierMovement.UPGRADED:
      return `upgraded from ${before}`;
    case TierMovement.DOWNGRADED:
      return `downgraded from ${before}`;
    case TierMovement.UNCHANGED:
      return `unchanged from ${previousYear}`;
    case TierMovement.SPECIAL_CASE:
      return `moved from ${before}`;
    case TierMovement.AFTER_GAP:
      return `${tier === previousTier ? `unchanged from ${previousYear}` : `from ${before}`}, with no placement known in between`;
    default:
      return "";
  }
}

/** The ISO3 code of a resource name: "countries/MLI" -> "MLI". */
export function iso3Of(name: string): string {
  return name.split("/")[1] ?? name;
}
