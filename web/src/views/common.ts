// What the router hands a view, and controls shared by views.
import { h } from "../dom";

export interface ViewContext {
  /** The <main> element the view renders into. */
  main: HTMLElement;
  /** The path segments after "#/": ["countries", "MLI"]. */
  path: string[];
  /** The query after "?". */
  query: URLSearchParams;
  /** True once the user has gone elsewhere: the view drops what it was about to show. */
  stale(): boolean;
  /** Sets the document title. */
  title(text: string): void;
  /** Marks the view as shown with its data (tests and timing wait for data-ready). */
  ready(key: string): void;
}

/**
 * A table folded under a summary line (the same data as a chart or a timeline above it), in a
 * box of its own that scrolls sideways on a phone rather than widening the page.
 */
export function foldedTable(summary: string, table: HTMLTableElement, className?: string): HTMLDetailsElement {
  return h("details", { class: className }, h("summary", {}, summary), h("div", { class: "table-wrap" }, table));
}

export interface YearStepper {
  element: HTMLElement;
  /** Shows a year: the slider, the label and the previous and next links. */
  set(year: number): void;
}

/**
 * A report year chooser: previous and next links and a slider. Moving the slider replaces the
 * current history entry (no entry per step) and routes to it; the links add one, as links do.
 * The view keeps the stepper while it shows another year, so the slider keeps the focus.
 */
export function yearStepper(years: number[], href: (year: number) => string): YearStepper {
  const output = h("output", { for: "year" });
  const slider = h("input", {
    type: "range",
    id: "year",
    min: years[0],
    max: years[years.length - 1],
    step: 1,
    oninput: () => {
      const year = Number(slider.value);
      history.replaceState(null, "", href(year));
      stepper.set(year);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    },
  });
  const previous = h("a", { class: "step" }, "‹");
  const next = h("a", { class: "step" }, "›");
  const point = (link: HTMLAnchorElement, label: string, target: number | undefined) => {
    if (target === undefined) {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
      link.setAttribute("aria-label", `${label}: none`);
    } else {
      link.href = href(target);
      link.removeAttribute("aria-disabled");
      link.setAttribute("aria-label", `${label}: ${target}`);
    }
  };
  const stepper: YearStepper = {
    element: h("div", { class: "year-control" }, h("label", { for: "year" }, "Report year ", output), h("div", { class: "year-row" }, previous, slider, next)),
    set(year) {
      const index = years.indexOf(year);
      slider.value = String(year);
      output.textContent = String(year);
      point(previous, "Previous year", years[index - 1]);
      point(next, "Next year", years[index + 1]);
    },
  };
  return stepper;
}

/** Shown in place of a view whose data could not be had. */
export function failure(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  return h("div", { class: "error", role: "alert" }, h("h1", { tabindex: "-1" }, "Could not load this view"), h("p", {}, message), h("p", {}, h("a", { href: "#/" }, "Back to the map")));
}
