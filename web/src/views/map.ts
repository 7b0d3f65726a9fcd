// The world map of one report year: a link per ranked country, filled with its tier's colour and
// pattern, a legend with the year's counts, and the same data as a table for keyboards and
// screen readers. The SVG is built once and repainted when the year changes.
import { h, s } from "../dom";
import { MAP_HEIGHT, MAP_WIDTH, SHAPES, UNRANKED_LAND } from "../gen/world";
import type { Country, Placement } from "../gen/tip/v1/country_pb";
import { Tier } from "../gen/tip/v1/common_pb";
import { countriesByCode, placements, reportYears } from "../data";
import { changeText, iso3Of, regionName, tierBadge, tierName, tierStyle, TIERS, NO_DATA } from "../tiers";
import { foldedTable, yearStepper, type ViewContext, type YearStepper } from "./common";

const DOT_RADIUS = 2.6;

/** The map's SVG with a link per country (by ISO3 code), kept across visits of the view. */
let built: { svg: SVGSVGElement; shapes: Map<string, SVGAElement>; tooltip: HTMLElement } | undefined;

function buildMap() {
  const tooltip = h("div", { class: "tooltip", "aria-hidden": "true", hidden: true });
  const shapes = new Map<string, SVGAElement>();
  const dots: SVGElement[] = [];
  const links = SHAPES.map(([iso3, d, x, y]) => {
    const link = s("a", { href: `#/countries/${iso3}`, class: "shape", "data-iso3": iso3 }, s("path", { d, id: `shape-${iso3}` }));
    if (x !== undefined && y !== undefined) {
      // Small territories: a dot drawn above every outline, part of the same link.
      const dot = s("circle", { cx: x, cy: y, r: DOT_RADIUS, class: "dot" });
      link.append(dot);
      dots.push(link);
    }
    shapes.set(iso3, link);
    return link;
  });
  // Links with a dot last, so their dots are painted (and hovered) above the large shapes.
  const ordered = [...links.filter((l) => !dots.includes(l)), ...dots];
  // The outline of the country under the pointer or focus, drawn above its neighbours.
  const outline = s("use", { class: "outline", "aria-hidden": "true" });
  const svg = s(
    "svg",
    { viewBox: `0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`, class: "world", role: "group", id: "map" },
    s("path", { d: UNRANKED_LAND, class: "unranked", "aria-hidden": "true" }),
    ordered,
    outline,
  );
  const show = (event: Event) => {
    const link = (event.target as Element).closest("a.shape");
    if (!link) return;
    tooltip.replaceChildren(...(JSON.parse(link.getAttribute("data-tip") ?? "[]") as string[]).map((line, i) => h(i ? "div" : "strong", {}, line)));
    tooltip.hidden = false;
    outline.setAttribute("href", `#shape-${link.getAttribute("data-iso3")}`);
    const figure = svg.parentElement!.getBoundingClientRect();
    const box = link.getBoundingClientRect();
    const left = Math.min(Math.max(box.left + box.width / 2 - figure.left, 80), figure.width - 80);
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${box.top - figure.top}px`;
  };
  const hide = () => {
    tooltip.hidden = true;
    outline.removeAttribute("href");
  };
  svg.addEventListener("mouseover", show);
  svg.addEventListener("focusin", show);
  svg.addEventListener("mouseleave", hide);
  svg.addEventListener("focusout", hide);
  return { svg, shapes, tooltip };
}

function describe(p: Placement | undefined, year: number): string[] {
  if (!p) return [`No placement known for ${year}`];
  const lines = [tierStyle(p.tier).label, changeText(p.movement, p.tier, p.previousTier, p.previousYear)];
  if (p.conflict) lines.push("sources disagree on this placement");
  return lines;
}

function paint(year: number, byCode: Map<string, Placement>, countries: Map<string, Country>) {
  const map = (built ??= buildMap());
  for (const [iso3, link] of map.shapes) {
    const p = byCode.get(iso3);
    const name = countries.get(iso3)?.displayName ?? iso3;
    const lines = describe(p, year);
    link.setAttribute("class", `shape tier-${tierStyle(p?.tier).key}`);
    link.setAttribute("data-tier", tierName(p?.tier));
    link.setAttribute("aria-label", `${name}: ${lines.join(", ")}`);
    link.setAttribute("data-tip", JSON.stringify([name, ...lines]));
  }
  map.svg.setAttribute("aria-label", `World map of tier placements in the ${year} report. Each country is a link to its page.`);
}

function legend(list: Placement[]) {
  const counts = new Map<Tier, number>();
  for (const p of list) counts.set(p.tier, (counts.get(p.tier) ?? 0) + 1);
  const noData = SHAPES.length - list.length;
  const item = (key: string, label: string, count: number | undefined) =>
    h("li", {}, h("span", { class: `swatch tier-${key}`, "aria-hidden": "true" }), label, count !== undefined && h("span", { class: "count" }, ` ${count}`));
  return h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    TIERS.map((t) => item(tierStyle(t).key, tierStyle(t).label, counts.get(t) ?? 0)),
    item(NO_DATA.key, "No data for this year", noData),
    item("unranked", "Not covered by the report", undefined),
  );
}

function listView(year: number, list: Placement[]) {
  const rows = [...list]
    .sort((a, b) => a.displayName.localeCompare(b.displayName))
    .map((p) =>
      h(
        "tr",
        { "data-iso3": iso3Of(p.country) },
        h("th", { scope: "row" }, h("a", { href: `#/countries/${iso3Of(p.country)}` }, p.displayName)),
        h("td", {}, tierBadge(p.tier), h("div", { class: "change" }, changeText(p.movement, p.tier, p.previousTier, p.previousYear), p.conflict && " (sources disagree)")),
        h("td", {}, regionName(p.region)),
      ),
    );
  const columns = ["Country", "Tier and change", "Region"].map((c) => h("th", { scope: "col" }, c));
  return foldedTable(
    `All ${list.length} placements of ${year} as a list`,
    h("table", {}, h("caption", { class: "visually-hidden" }, `Tier placements in ${year}`), h("thead", {}, h("tr", {}, columns)), h("tbody", {}, rows)),
    "country-list",
  );
}

/** The view's elements while it is shown: another year repaints them in place. */
let shell: { root: HTMLElement; stepper: YearStepper; heading: HTMLElement; lede: HTMLElement; legend: HTMLElement; list: HTMLDetailsElement } | undefined;

function buildShell(years: number[]) {
  const map = (built ??= buildMap());
  const stepper = yearStepper(years, (y) => `#/map?year=${y}`);
  const parts = { heading: h("h1", { tabindex: "-1" }), lede: h("p", { class: "lede" }), legend: h("ul"), list: h("details") };
  // Past the map's links in one key press, to the list of the same data.
  const skip = h("button", { type: "button", class: "skip-map", onclick: () => shell?.list.querySelector("summary")?.focus() }, "Skip the map to the list of countries");
  const root = h("div", { class: "map-view" }, parts.heading, parts.lede, stepper.element, skip, h("figure", { class: "map" }, map.svg, map.tooltip), parts.legend, parts.list);
  return { root, stepper, ...parts };
}

export async function mapView(ctx: ViewContext): Promise<void> {
  const years = await reportYears();
  const requested = Number(ctx.query.get("year"));
  const year = years.includes(requested) ? requested : years[years.length - 1];
  const [list, countries] = await Promise.all([placements(year), countriesByCode()]);
  if (ctx.stale()) return;
  if (!shell || !ctx.main.contains(shell.root)) {
    shell = buildShell(years);
    ctx.main.replaceChildren(shell.root);
  }
  paint(year, new Map(list.map((p) => [iso3Of(p.country), p])), countries);
  shell.stepper.set(year);
  shell.heading.textContent = `Tier placements in the ${year} report`;
  shell.lede.replaceChildren(
    "Hover or focus a country for its tier and its change from the year before; select it to open its page. See also ",
    h("a", { href: `#/years/${year}` }, `${year} at a glance`),
    ".",
  );
  shell.legend.replaceWith((shell.legend = legend(list)));
  const open = shell.list.open;
  shell.list.replaceWith((shell.list = listView(year, list)));
  shell.list.open = open;
  ctx.title(`Tier placements in ${year}`);
  ctx.ready(`map:${year}`);
}
