// The router: every view has a hash URL (#/map?year=2018, #/years/2018, #/countries/MLI,
// #/countries/MLI/reports/2023, #/search?q=...), so views can be shared, and back and forward
// move between them.
import { countryView } from "./views/country";
import { failure, type ViewContext } from "./views/common";
import { mapView } from "./views/map";
import { searchView } from "./views/search";
import { yearView } from "./views/year";

const VIEWS: Record<string, (ctx: ViewContext) => Promise<void>> = {
  map: mapView,
  years: yearView,
  countries: countryView,
  search: searchView,
};

const main = document.getElementById("main")!;
let current = 0;
let shownView: string | undefined;

async function route(): Promise<void> {
  const token = ++current;
  const [pathText, queryText = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const path = pathText.split("/").filter(Boolean).map(decodeURIComponent);
  const name = path[0] && Object.hasOwn(VIEWS, path[0]) ? path[0] : "map";
  const view = VIEWS[name];
  const firstRender = shownView === undefined;
  const sameView = shownView === name && name !== "countries";
  main.removeAttribute("data-ready");
  main.setAttribute("aria-busy", "true");
  for (const link of document.querySelectorAll<HTMLAnchorElement>("header nav a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const ctx: ViewContext = {
    main,
    path,
    query: new URLSearchParams(queryText),
    stale: () => token !== current,
    title: (text) => (document.title = `${text} · TIP Atlas`),
    ready: (key) => {
      main.dataset.ready = key;
      main.removeAttribute("aria-busy");
      performance.mark(`ready ${key}`);
    },
  };
  try {
    await view(ctx);
  } catch (error) {
    if (ctx.stale()) return;
    main.replaceChildren(failure(error));
    main.removeAttribute("aria-busy");
    main.dataset.ready = "error";
  }
  if (ctx.stale()) return;
  shownView = name;
  // A new view takes focus to its heading, for screen readers and keyboards (a view may name
  // another target with data-focus: a report's narrative); a year change within a view leaves the
  // focus where it is (on the slider or the step link), and a first load where the browser put it.
  if (sameView) return;
  const target = main.querySelector<HTMLElement>("[data-focus]") ?? (firstRender ? null : main.querySelector<HTMLElement>("h1"));
  target?.focus();
  if (target?.tagName === "H1") window.scrollTo(0, 0);
}

// The skip link focuses the content without changing the hash (which names the view).
document.querySelector(".skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener("hashchange", () => void route());
void route();
