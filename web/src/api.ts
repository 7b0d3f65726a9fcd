// The tip.v1 clients over gRPC-Web, to the server that served the page, and a cache so that
// views revisited (back and forward, the year slider) ask the server once.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { CountryService } from "./gen/tip/v1/country_pb";
import { InsightService } from "./gen/tip/v1/insight_pb";
import { ReportService } from "./gen/tip/v1/report_pb";

const transport = createGrpcWebTransport({ baseUrl: location.origin });

export const countryService = createClient(CountryService, transport);
export const reportService = createClient(ReportService, transport);
export const insightService = createClient(InsightService, transport);

const cache = new Map<string, Promise<unknown>>();

/** The answer of `load`, asked once per key; a failed answer is forgotten, to be asked again. */
export function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  let answer = cache.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = load();
    answer.catch(() => cache.delete(key));
    cache.set(key, answer);
  }
  return answer;
}
