// Full-text search over the narratives, with the API's highlight ranges shown as <mark>, filters
// for year, tier and region, and paging by the API's page tokens (kept in the URL).
import { h, type Child } from "../dom";
import { cached, reportService } from "../api";
import { countriesByCode, reportYears } from "../data";
import { Tier } from "../gen/tip/v1/common_pb";
import type { SearchReportsResponse, Snippet } from "../gen/tip/v1/report_pb";
import { iso3Of, REGIONS, tierBadge, tierStyle, TIERS } from "../tiers";
import type { ViewContext } from "./common";

const PAGE_SIZE = 20;

/** The snippet's text with its highlights marked; ranges count code points, as the API says. */
function highlighted(snippet: Snippet): Child[] {
  const chars = Array.from(snippet.text);
  const parts: Child[] = [];
  let at = 0;
  for (const { start, end } of [...snippet.highlights].sort((a, b) => a.start - b.start)) {
    if (start < at || end <= start) continue;
    parts.push(chars.slice(at, start).join(""), h("mark", {}, chars.slice(start, end).join("")));
    at = end;
  }
  parts.push(chars.slice(at).join(""));
  return parts;
}

/** The AIP-160 filter of the chosen year, tier and region. */
function filterOf(query: URLSearchParams): string {
  const terms: string[] = [];
  if (/^\d{4}$/.test(query.get("year") ?? "")) terms.push(`year = ${query.get("year")}`);
  const tier = TIERS.find((t) => Tier[t] === query.get("tier"));
  if (tier !== undefined) terms.push(`tier = ${Tier[tier]}`);
  const region = REGIONS.find(([, code]) => code === query.get("region"));
  if (region) terms.push(`region = ${region[1]}`);
  return terms.join(" AND ");
}

function searchForm(query: URLSearchParams, years: number[]): HTMLFormElement {
  const select = (name: string, label: string, options: ReadonlyArray<readonly [string, string]>) =>
    h(
      "label",
      { for: `search-${name}` },
      label,
      h("select", { id: `search-${name}`, name }, h("option", { value: "" }, "Any"), options.map(([value, text]) => h("option", { value, selected: query.get(name) === value }, text))),
    );
  const form = h(
    "form",
    {
      role: "search",
      class: "search-form",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const params = new URLSearchParams();
        for (const [key, value] of new FormData(form)) if (value) params.set(key, String(value));
        location.hash = `#/search?${params}`;
      },
    },
    h("label", { for: "search-q", class: "query" }, "Search the narratives", h("input", { id: "search-q", name: "q", type: "search", value: query.get("q") ?? "", placeholder: "e.g. \"hereditary slavery\" or forced begging", required: true })),
    h(
      "div",
      { class: "filters" },
      select("year", "Year ", [...years].reverse().map((y) => [String(y), String(y)] as const)),
      select("tier", "Tier ", TIERS.map((t) => [Tier[t], tierStyle(t).label] as const)),
      select("region", "Region ", REGIONS.map(([, code, name]) => [code, name] as const)),
      h("button", { type: "submit" }, "Search"),
    ),
  );
  return form;
}

function results(answer: SearchReportsResponse, names: Map<string, { displayName: string }>, query: URLSearchParams): HTMLElement {
  const next = new URLSearchParams(query);
  next.set("page", answer.nextPageToken);
  const first = new URLSearchParams(query);
  first.delete("page");
  const reached = query.get("page");
  return h(
    "div",
    { class: "results" },
    h("p", { role: "status" }, answer.totalSize === 0 ? "No narrative matches." : answer.totalSize === 1 ? "1 narrative matches." : `${answer.totalSize.toLocaleString("en-US")} narratives match.`),
    h(
      "ol",
      {},
      answer.results.map((r) => {
        const iso3 = iso3Of(r.country);
        return h(
          "li",
          { "data-report": r.report },
          h("h2", {}, h("a", { href: `#/${r.report}` }, `${names.get(iso3)?.displayName ?? iso3}, ${r.year}`), " ", tierBadge(r.tier)),
          r.snippets.map((snippet) => h("p", { class: "snippet" }, h("span", { class: "field" }, snippet.field === "recommendations" ? "Recommendations: " : ""), highlighted(snippet))),
        );
      }),
    ),
    h(
      "nav",
      { class: "pager", "aria-label": "Result pages" },
      reached && h("a", { href: `#/search?${first}` }, "« First page"),
      answer.nextPageToken && h("a", { href: `#/search?${next}` }, "Next page »"),
    ),
  );
}

export async function searchView(ctx: ViewContext): Promise<void> {
  const query = ctx.query;
  const text = query.get("q")?.trim() ?? "";
  const [years, names, answer] = await Promise.all([
    reportYears(),
    countriesByCode(),
    text
      ? cached(`search ${query}`, () => reportService.searchReports({ query: text, filter: filterOf(query), pageSize: PAGE_SIZE, pageToken: query.get("page") ?? "" }))
      : Promise.resolve(undefined),
  ]);
  if (ctx.stale()) return;
  ctx.title(text ? `Search: ${text}` : "Search");
  ctx.main.replaceChildren(
    h("h1", { tabindex: "-1" }, text ? `Search: ${text}` : "Search the narratives"),
    searchForm(query, years),
    answer ? results(answer, names, query) : h("p", { class: "note" }, "Words, \"quoted phrases\", prefix* terms, AND, OR and NOT."),
  );
  ctx.ready(`search:${text}`);
}
