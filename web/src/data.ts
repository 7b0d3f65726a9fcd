// The answers several views share, each asked once.
import { cached, countryService, insightService } from "./api";
import type { Country, Placement } from "./gen/tip/v1/country_pb";
import type { TierDistributionRow } from "./gen/tip/v1/insight_pb";
import { iso3Of } from "./tiers";

/** The tier counts of every report year, all regions together, oldest first. */
export function distribution(): Promise<TierDistributionRow[]> {
  return cached("distribution", async () => (await insightService.getTierDistribution({ startYear: 0, endYear: 0 })).rows);
}

/** The report years known, oldest first. */
export async function reportYears(): Promise<number[]> {
  return (await distribution()).map((row) => row.year);
}

/** Every country's placement in a report year. */
export function placements(year: number): Promise<Placement[]> {
  return cached(`placements ${year}`, async () => {
    const all: Placement[] = [];
    let pageToken = "";
    do {
      const page = await countryService.listPlacements({ filter: `year = ${year}`, pageSize: 1000, pageToken });
      all.push(...page.placements);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return all;
  });
}

/** The registry's countries by ISO3 code. */
export function countriesByCode(): Promise<Map<string, Country>> {
  return cached("countries", async () => {
    const answer = await countryService.listCountries({ pageSize: 1000 });
    return new Map(answer.countries.map((c) => [iso3Of(c.name), c]));
  });
}
