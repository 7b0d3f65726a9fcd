// A country's page: tier history, stored narratives, recurring recommendations, a comparison of
// two reports and the enforcement figures. Five RPCs, in parallel, fetch everything but the
// comparison, which is asked for when the user compares.
import { h, yearRanges, type Child } from "../dom";
import { cached, countryService, insightService, reportService } from "../api";
import type { Country, TierHistoryEntry } from "../gen/tip/v1/country_pb";
import { DowngradeRule } from "../gen/tip/v1/country_pb";
import { EnforcementMeasure, type EnforcementSeries, type ReportComparison, type RecurringRecommendation } from "../gen/tip/v1/insight_pb";
import { Completeness, ReportView, SectionKind, StandardsFinding, TierChange, Unit, type Evidence, type Figure, type Report } from "../gen/tip/v1/report_pb";
import { changeText, regionName, tierBadge, tierName, tierStyle } from "../tiers";
import { foldedTable, type ViewContext } from "./common";

interface CountryData {
  country: Country;
  history: TierHistoryEntry[];
  reports: Report[];
  recommendations: RecurringRecommendation[] | Error;
  enforcement: EnforcementSeries | Error;
}

async function settle<T>(answer: Promise<T>): Promise<T | Error> {
  return answer.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
}

function load(iso3: string): Promise<CountryData> {
  const name = `countries/${iso3}`;
  return cached(`country ${iso3}`, async () => {
    const [country, history, reports, recommendations, enforcement] = await Promise.all([
      countryService.getCountry({ name }),
      countryService.getTierHistory({ name }),
      reportService.listReports({ parent: name, view: ReportView.FULL, pageSize: 1000 }),
      settle(insightService.listRecommendations({ parent: name, pageSize: 1000 }).then((r) => r.recommendations)),
      settle(insightService.getEnforcementSeries({ name })),
    ]);
    return { country, history: history.entries, reports: [...reports.reports].sort((a, b) => b.year - a.year), recommendations, enforcement };
  });
}

function unavailable(error: Error): HTMLElement {
  return h("p", { class: "note" }, `Not available: ${error.message}`);
}

// --- tier history ---------------------------------------------------------------------------

function entryNotes(e: TierHistoryEntry): string[] {
  const notes: string[] = [];
  if (e.watchListYears > 1) notes.push(`year ${e.watchListYears} on the Watch List`);
  if (e.downgradeRule === DowngradeRule.WAIVED) notes.push("automatic downgrade waived");
  if (e.downgradeRule === DowngradeRule.APPLIED) notes.push("downgraded by the automatic rule");
  if (e.conflicts.length) notes.push("sources disagree");
  return notes;
}

function timeline(history: TierHistoryEntry[]): HTMLElement {
  return h(
    "ol",
    { class: "timeline", "aria-label": "Tier by report year" },
    history.map((e) => {
      const style = tierStyle(e.missing ? undefined : e.tier);
      const notes = entryNotes(e);
      const label = `${e.year}: ${style.label}${notes.length ? ` (${notes.join("; ")})` : ""}`;
      return h(
        "li",
        { "data-year": e.year, "data-tier": tierName(e.missing ? undefined : e.tier), title: label },
        h("span", { class: `cell tier-${style.key}`, "aria-hidden": "true" }, h("span", { class: "short" }, style.short)),
        h("span", { class: "year", "aria-hidden": "true" }, `’${String(e.year).slice(2)}`),
        e.downgradeRule === DowngradeRule.WAIVED && h("span", { class: "mark waived", "aria-hidden": "true" }, "W"),
        e.conflicts.length > 0 && h("span", { class: "mark conflict", "aria-hidden": "true" }, "!"),
        h("span", { class: "visually-hidden" }, label),
      );
    }),
  );
}

function sourcesOf(e: TierHistoryEntry): Child[] {
  return e.sources.map((src, i) => [
    i ? "; " : "",
    src.report ? h("a", { href: `#/${src.report}` }, "narrative") : src.source.replace(/_/g, " "),
    `: ${src.tierAsPublished || tierStyle(src.tier).label}`,
  ]);
}

/** What the timeline's marks mean, when it has any. */
function marksKey(history: TierHistoryEntry[]): HTMLElement | null {
  const keys = [
    history.some((e) => e.downgradeRule === DowngradeRule.WAIVED) && [h("span", { class: "mark-key waived", "aria-hidden": "true" }, "W"), " automatic downgrade waived"],
    history.some((e) => e.conflicts.length > 0) && [h("span", { class: "mark-key conflict", "aria-hidden": "true" }, "!"), " sources disagree"],
  ].filter(Boolean);
  return keys.length ? h("p", { class: "note marks" }, keys) : null;
}

/** The years a country changed tier, or a source disagreed, or a downgrade was waived: newest first. */
function changes(history: TierHistoryEntry[]): HTMLElement {
  const notable = [...history].reverse().filter((e) => !e.missing && (e.tier !== e.previousTier || e.conflicts.length || e.downgradeRule !== DowngradeRule.UNSPECIFIED));
  return h(
    "ul",
    { class: "changes", "aria-label": "Changes of tier" },
    notable.map((e) =>
      h(
        "li",
        { "data-year": e.year },
        h("strong", {}, e.year),
        " ",
        tierBadge(e.tier),
        " ",
        changeText(e.movement, e.tier, e.previousTier, e.previousYear),
        entryNotes(e).filter((n) => !n.startsWith("year ")).map((n) => h("span", { class: "note" }, ` · ${n}`)),
      ),
    ),
  );
}

function historyTable(history: TierHistoryEntry[]): HTMLElement {
  const rows = [...history].reverse().map((e) =>
    h(
      "tr",
      { "data-year": e.year, class: e.conflicts.length ? "conflict" : null },
      h("th", { scope: "row" }, e.year),
      h("td", {}, e.missing ? tierBadge(undefined) : tierBadge(e.tier)),
      h("td", {}, e.missing ? "no source at hand gives this year's tier" : changeText(e.movement, e.tier, e.previousTier, e.previousYear)),
      h("td", {}, entryNotes(e).join("; "), e.conflicts.length > 0 && h("ul", { class: "conflicts" }, e.conflicts.map((c) => h("li", {}, c)))),
      h("td", {}, sourcesOf(e)),
    ),
  );
  return foldedTable(
    "Year by year, with Watch List years and sources",
    h(
      "table",
      { class: "history" },
      h("caption", { class: "visually-hidden" }, "Tier history, year by year"),
      h("thead", {}, h("tr", {}, ["Year", "Tier", "Change", "Notes", "Sources"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows),
    ),
  );
}

// --- narratives -----------------------------------------------------------------------------

const TIER_CHANGE: Record<TierChange, string> = {
  [TierChange.UNSPECIFIED]: "",
  [TierChange.UPGRADED]: "The text says the country was upgraded.",
  [TierChange.DOWNGRADED]: "The text says the country was downgraded.",
  [TierChange.REMAINED]: "The text says the country remained on its tier.",
  [TierChange.PLACED]: "The text places the country without comparing with the year before.",
};

const FINDING: Record<StandardsFinding, string> = {
  [StandardsFinding.UNSPECIFIED]: "",
  [StandardsFinding.FULLY_MEETS]: "Fully meets the minimum standards.",
  [StandardsFinding.SIGNIFICANT_EFFORTS]: "Does not fully meet the minimum standards but is making significant efforts.",
  [StandardsFinding.NOT_SIGNIFICANT_EFFORTS]: "Does not fully meet the minimum standards and is not making significant efforts.",
};

function recommendationList(report: Report): HTMLElement {
  return h("ol", { class: "recommendations", "data-report-recommendations": report.year }, report.recommendations.map((r) => h("li", {}, r.text)));
}

function narrative(report: Report): HTMLElement {
  const facts = [TIER_CHANGE[report.tierChange], FINDING[report.finding], report.downgradeWaived ? "The automatic downgrade to Tier 3 was waived." : ""];
  if (report.completeness === Completeness.EXCERPT) facts.push("The stored text is an excerpt.");
  if (report.completeness === Completeness.TRUNCATED) facts.push("The stored text is cut off.");
  const sections = report.sections.map((section) =>
    h(
      "section",
      {},
      h("h4", {}, section.title),
      section.kind === SectionKind.RECOMMENDATIONS && report.recommendations.length ? recommendationList(report) : section.paragraphs.map((p) => h("p", {}, p)),
    ),
  );
  const hasRecommendations = report.sections.some((section) => section.kind === SectionKind.RECOMMENDATIONS);
  return h(
    "article",
    { class: "narrative", "data-report": report.year },
    h("h3", { tabindex: "-1", "data-focus": "" }, `The ${report.year} narrative `, tierBadge(report.tier)),
    h("p", { class: "facts" }, facts.filter(Boolean).join(" ")),
    report.source?.titleLine && h("p", { class: "source" }, "Source: ", report.source.titleLine),
    report.paragraphs.map((p) => h("p", {}, p)),
    sections,
    !hasRecommendations && report.recommendations.length > 0 && h("section", {}, h("h4", {}, "Recommendations"), recommendationList(report)),
  );
}

function narratives(iso3: string, reports: Report[], year: number | undefined): HTMLElement {
  if (!reports.length) return h("p", { class: "note" }, "No narrative of this country is stored.");
  const shown = reports.find((r) => r.year === year) ?? reports[0];
  return h(
    "div",
    {},
    h(
      "nav",
      { class: "report-years", "aria-label": "Stored narratives by year" },
      h("ul", {}, reports.map((r) => h("li", {}, h("a", { href: `#/countries/${iso3}/reports/${r.year}`, "aria-current": r === shown ? "page" : null }, r.year)))),
    ),
    narrative(shown),
  );
}

// --- recommendations across years and comparison --------------------------------------------

function recurring(recommendations: RecurringRecommendation[]): HTMLElement {
  if (!recommendations.length) return h("p", { class: "note" }, "No recommendations are stored.");
  return h(
    "ol",
    { class: "recurring", "data-recurring": "" },
    recommendations.map((r) =>
      h("li", {}, h("span", {}, r.text), h("span", { class: "years" }, r.years.length > 1 ? `in ${r.years.length} reports: ${yearRanges(r.years)}` : `in ${yearRanges(r.years)}`)),
    ),
  );
}

function comparisonResult(c: ReportComparison): HTMLElement {
  const column = (title: string, items: string[]) =>
    h("section", { "data-kind": title.toLowerCase() }, h("h4", {}, `${title} (${items.length})`), items.length ? h("ul", {}, items.map((t) => h("li", {}, t))) : h("p", { class: "note" }, "None."));
  return h(
    "div",
    {},
    h("p", {}, "Tier: ", tierBadge(c.baseTier), " → ", tierBadge(c.targetTier)),
    h(
      "div",
      { class: "compare-grid" },
      column("Added", c.added.map((a) => a.text)),
      column("Dropped", c.dropped.map((d) => d.text)),
      column("Kept", c.kept.map((k) => k.targetText)),
    ),
  );
}

function compareForm(iso3: string, reports: Report[]): HTMLElement {
  if (reports.length < 2) return h("p", { class: "note" }, "Comparing needs two stored narratives; this country has " + (reports.length ? "one." : "none."));
  const years = reports.map((r) => r.year);
  const select = (id: string, label: string, value: number) =>
    h("label", { for: id }, label, h("select", { id }, years.map((y) => h("option", { value: y, selected: y === value }, y))));
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "compare",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const [base, target] = ["compare-base", "compare-target"].map((id) => (form.querySelector(`#${id}`) as HTMLSelectElement).value);
        result.replaceChildren(h("p", {}, "Comparing…"));
        try {
          const answer = await cached(`compare ${iso3} ${base} ${target}`, () =>
            insightService.compareReports({ base: `countries/${iso3}/reports/${base}`, target: `countries/${iso3}/reports/${target}` }),
          );
          result.replaceChildren(comparisonResult(answer));
        } catch (e) {
          result.replaceChildren(h("p", { role: "alert" }, `Could not compare: ${e instanceof Error ? e.message : e}`));
        }
      },
    },
    select("compare-base", "Earlier report ", years[1]),
    select("compare-target", "Later report ", years[0]),
    h("button", { type: "submit" }, "Compare"),
  );
  return h("div", {}, form, result);
}

// --- enforcement ----------------------------------------------------------------------------

const MEASURES: ReadonlyArray<readonly [EnforcementMeasure, string]> = [
  [EnforcementMeasure.INVESTIGATIONS, "Investigations"],
  [EnforcementMeasure.PROSECUTIONS, "Prosecutions"],
  [EnforcementMeasure.CONVICTIONS, "Convictions"],
  [EnforcementMeasure.VICTIMS_IDENTIFIED, "Victims identified"],
];

function figureText(figure: Figure): string {
  const unit = figure.unit === Unit.CASES ? " cases" : "";
  return `${figure.approximate ? "≈ " : ""}${figure.count.toLocaleString("en-US")}${unit}`;
}

function figureCell(figure: Figure | undefined): HTMLElement {
  if (!figure) return h("td", { class: "empty" }, h("span", { "aria-label": "not stated" }, "—"));
  return h("td", { title: figure.evidence?.sentence ?? "" }, figureText(figure));
}

/** "Prosecution" for SectionKind.PROSECUTION. */
function sectionName(kind: SectionKind): string {
  const name = SectionKind[kind].toLowerCase().replace(/_/g, " ");
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Each figure with the sentence it was read from and where that sentence stands in the report. */
function evidenceList(series: EnforcementSeries): HTMLElement {
  const read = MEASURES.flatMap(([measure, label]) =>
    (series.series.find((m) => m.measure === measure)?.points ?? []).flatMap((p) => (p.figure?.evidence ? [{ label, year: p.year, figure: p.figure, evidence: p.figure.evidence }] : [])),
  ).sort((a, b) => a.year - b.year);
  const place = (e: Evidence) => `${e.section === SectionKind.UNSPECIFIED ? "opening" : sectionName(e.section)}, paragraph ${e.paragraph + 1}`;
  return h(
    "details",
    { class: "evidence" },
    h("summary", {}, "The sentences these figures were read from"),
    h(
      "dl",
      {},
      read.map(({ label, year, figure, evidence }) => [
        h("dt", { "data-year": year }, `${year} · ${label}: ${figureText(figure)}`),
        h("dd", {}, h("q", {}, evidence.sentence), " ", h("span", { class: "note" }, `(${place(evidence)})`)),
      ]),
    ),
  );
}

function enforcement(series: EnforcementSeries): HTMLElement {
  const years = [...new Set(series.series.flatMap((m) => m.points.filter((p) => p.figure).map((p) => p.year)))].sort();
  if (!years.length) return h("p", { class: "note" }, "The stored narratives state no enforcement figures.");
  const figure = (measure: EnforcementMeasure, year: number) => series.series.find((m) => m.measure === measure)?.points.find((p) => p.year === year)?.figure;
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, "Enforcement figures by report year; ≈ marks approximate figures"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Report"), MEASURES.map(([, label]) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, years.map((y) => h("tr", {}, h("th", { scope: "row" }, y), MEASURES.map(([m]) => figureCell(figure(m, y)))))),
    ),
    h("p", { class: "note" }, "≈ marks figures the text qualifies (“at least”, “approximately”)."),
    evidenceList(series),
  );
}

// --- the view -------------------------------------------------------------------------------

export async function countryView(ctx: ViewContext): Promise<void> {
  const iso3 = (ctx.path[1] ?? "").toUpperCase();
  const data = await load(iso3);
  if (ctx.stale()) return;
  const year = ctx.path[2] === "reports" ? Number(ctx.path[3]) : undefined;
  const latest = [...data.history].reverse().find((e) => !e.missing);
  ctx.title(year ? `${data.country.displayName}, ${year}` : data.country.displayName);
  ctx.main.replaceChildren(
    h(
      "header",
      { class: "country-head" },
      h("h1", { tabindex: "-1" }, data.country.displayName),
      h("p", { class: "lede" }, regionName(data.country.region), latest && [" · latest placement ", `${latest.year}: `, tierBadge(latest.tier)]),
    ),
    h("section", { "aria-labelledby": "h-history" }, h("h2", { id: "h-history" }, "Tier history"), timeline(data.history), marksKey(data.history), changes(data.history), historyTable(data.history)),
    h("section", { "aria-labelledby": "h-narratives" }, h("h2", { id: "h-narratives" }, "Narratives"), narratives(iso3, data.reports, year)),
    h(
      "section",
      { "aria-labelledby": "h-recommendations" },
      h("h2", { id: "h-recommendations" }, "Recommendations across years"),
      data.recommendations instanceof Error ? unavailable(data.recommendations) : recurring(data.recommendations),
    ),
    h("section", { "aria-labelledby": "h-compare" }, h("h2", { id: "h-compare" }, "Compare two reports"), compareForm(iso3, data.reports)),
    h(
      "section",
      { "aria-labelledby": "h-enforcement" },
      h("h2", { id: "h-enforcement" }, "Law enforcement figures"),
      data.enforcement instanceof Error ? unavailable(data.enforcement) : enforcement(data.enforcement),
    ),
  );
  if (!year) ctx.main.querySelector("[data-focus]")?.removeAttribute("data-focus");
  ctx.ready(`country:${iso3}${year ? `:${year}` : ""}`);
}
