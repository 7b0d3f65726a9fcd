// A report year at a glance: how the tiers were spread over all the years (a stacked chart, each
// bar a link to its year) and the countries that moved in this one.
import { h, s } from "../dom";
import { insightService, cached } from "../api";
import { distribution, reportYears } from "../data";
import { TierMovement } from "../gen/tip/v1/country_pb";
import type { TierChangeEntry, TierDistributionRow } from "../gen/tip/v1/insight_pb";
import { iso3Of, NO_DATA, tierBadge, tierStyle, TIERS } from "../tiers";
import { foldedTable, yearStepper, type ViewContext, type YearStepper } from "./common";

const CHART = { width: 960, height: 300, left: 36, bottom: 24, top: 8 };

function countOf(row: TierDistributionRow, tier: number): number {
  return row.counts.find((c) => c.tier === tier)?.count ?? 0;
}

function describeRow(row: TierDistributionRow): string {
  const parts = TIERS.map((t) => `${countOf(row, t)} ${tierStyle(t).label}`);
  if (row.missing) parts.push(`${row.missing} with no data`);
  return `${row.year}: ${parts.join(", ")}`;
}

function chart(rows: TierDistributionRow[], year: number): SVGSVGElement {
  const max = Math.max(...rows.map((r) => r.total + r.missing));
  const plotHeight = CHART.height - CHART.bottom - CHART.top;
  const scale = (n: number) => (n / max) * plotHeight;
  const slot = (CHART.width - CHART.left) / rows.length;
  const ticks = [0, 50, 100, 150, 200].filter((t) => t <= max);
  return s(
    "svg",
    { viewBox: `0 0 ${CHART.width} ${CHART.height}`, class: "chart", role: "group", "aria-label": "Countries per tier in each report year; each bar is a link to its year" },
    ticks.map((t) => {
      const y = CHART.top + plotHeight - scale(t);
      return s("g", { class: "tick", "aria-hidden": "true" }, s("line", { x1: CHART.left, x2: CHART.width, y1: y, y2: y }), s("text", { x: CHART.left - 6, y: y + 4, "text-anchor": "end" }, t));
    }),
    rows.map((row, i) => {
      const x = CHART.left + i * slot + slot * 0.12;
      const width = slot * 0.76;
      let base = CHART.top + plotHeight;
      const segments = [...TIERS.map((t) => [tierStyle(t).key, countOf(row, t)] as const), [NO_DATA.key, row.missing] as const].map(([key, count]) => {
        const height = scale(count);
        base -= height;
        return count ? s("rect", { x, y: base, width, height, class: `tier-${key}` }) : null;
      });
      return s(
        "a",
        { href: `#/years/${row.year}`, class: row.year === year ? "bar current" : "bar", "aria-label": describeRow(row), "aria-current": row.year === year ? "page" : null },
        s("rect", { x: x - slot * 0.1, y: CHART.top, width: width + slot * 0.2, height: plotHeight, class: "hit" }),
        segments,
        s("text", { x: x + width / 2, y: CHART.height - 6, "text-anchor": "middle", class: "year-label" }, i % 2 === 0 || row.year === year ? String(row.year) : ""),
      );
    }),
  );
}

function table(rows: TierDistributionRow[]): HTMLElement {
  return foldedTable(
    "The chart's numbers as a table",
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Year"), TIERS.map((t) => h("th", { scope: "col" }, tierStyle(t).label)), h("th", { scope: "col" }, "No data"), h("th", { scope: "col" }, "Placed"))),
      h("tbody", {}, rows.map((r) => h("tr", {}, h("th", { scope: "row" }, h("a", { href: `#/years/${r.year}` }, r.year)), TIERS.map((t) => h("td", {}, countOf(r, t))), h("td", {}, r.missing), h("td", {}, r.total)))),
    ),
  );
}

function moverList(title: string, changes: TierChangeEntry[], year: number): HTMLElement | null {
  if (!changes.length) return null;
  return h(
    "section",
    { class: "movers", "aria-label": title },
    h("h3", {}, `${title} (${changes.length})`),
    h(
      "ul",
      {},
      [...changes].sort((a, b) => a.displayName.localeCompare(b.displayName)).map((c) =>
        h(
          "li",
          {},
          h("a", { href: `#/countries/${iso3Of(c.country)}` }, c.displayName),
          h("span", { class: "move" }, tierBadge(c.fromTier), h("span", { "aria-label": "to" }, " → "), tierBadge(c.toTier)),
          c.fromYear !== year - 1 && h("span", { class: "note" }, ` since ${c.fromYear}${c.acrossGap ? ", placements in between unknown" : ""}`),
        ),
      ),
    ),
  );
}

/** The stepper and the content below it, kept while the view is shown so the slider keeps focus. */
let shell: { root: HTMLElement; stepper: YearStepper; heading: HTMLElement; content: HTMLElement } | undefined;

export async function yearView(ctx: ViewContext): Promise<void> {
  const [rows, years] = await Promise.all([distribution(), reportYears()]);
  const year = years.includes(Number(ctx.path[1])) ? Number(ctx.path[1]) : years[years.length - 1];
  const changes = await cached(`changes ${year}`, async () => (await insightService.listTierChanges({ year })).changes);
  if (ctx.stale()) return;
  if (!shell || !ctx.main.contains(shell.root)) {
    const stepper = yearStepper(years, (y) => `#/years/${y}`);
    const heading = h("h1", { tabindex: "-1" });
    const content = h("div");
    shell = { root: h("div", { class: "year-view" }, heading, stepper.element, content), stepper, heading, content };
    ctx.main.replaceChildren(shell.root);
  }
  const row = rows.find((r) => r.year === year)!;
  const by = (m: TierMovement) => changes.filter((c) => c.movement === m);
  const others = changes.filter((c) => c.movement !== TierMovement.UPGRADED && c.movement !== TierMovement.DOWNGRADED);
  shell.stepper.set(year);
  shell.heading.textContent = `The ${year} report at a glance`;
  ctx.title(`${year} at a glance`);
  const chartWrap = h("div", { class: "chart-wrap" }, chart(rows, year));
  shell.content.replaceChildren(
    h("p", { class: "lede" }, `${row.total} countries and territories placed${row.missing ? `, ${row.missing} with no placement known` : ""}. `, h("a", { href: `#/map?year=${year}` }, `See ${year} on the map`), "."),
    h("h2", {}, "Countries per tier, every report year"),
    h("ul", { class: "legend", "aria-label": "Legend" }, [...TIERS.map((t) => tierStyle(t)), NO_DATA].map((st) => h("li", {}, h("span", { class: `swatch tier-${st.key}`, "aria-hidden": "true" }), st.label))),
    chartWrap,
    table(rows),
    h("h2", {}, `Who moved in ${year}`),
    changes.length
      ? h("div", { class: "mover-grid" }, moverList("Upgrades", by(TierMovement.UPGRADED), year), moverList("Downgrades", by(TierMovement.DOWNGRADED), year), moverList("To or from Special Case", others, year))
      : h("p", {}, `No country changed tier in ${year}.`),
  );
  // On a narrow screen the chart scrolls sideways: bring this year's bar into view.
  const bar = chartWrap.querySelector<SVGElement>(".bar.current");
  if (bar && chartWrap.scrollWidth > chartWrap.clientWidth) {
    const box = bar.getBoundingClientRect();
    chartWrap.scrollLeft += box.left - chartWrap.getBoundingClientRect().left - chartWrap.clientWidth / 2;
  }
  ctx.ready(`year:${year}`);
}
