import React from "react";
import { describe, expect, test, vi } from "vitest";
import { Alert, Heading, TableCell, TableRow, Tag, Text } from "@hubspot/ui-extensions";
import { createRenderer } from "@hubspot/ui-extensions/testing";
import { SalesKpisCard } from "./SalesKpisCard.jsx";
import config from "./cardConfig.js";

// @hubspot/ui-extensions 0.17.0 creates a `mocks.useCrmSearch` spy for every renderer
// but its `useCrmSearch` does not consult it (useCrmProperties and useAssociations do):
// route the hook to the spy of the renderer under test, so the vendor's mock serves it.
let current = null;
vi.mock("@hubspot/ui-extensions", async (importOriginal) => ({
  ...(await importOriginal()),
  useCrmSearch: (...args) => current.mocks.useCrmSearch(...args),
}));

const NOW = new Date(Date.UTC(2026, 10, 15));  // 15 November 2026: half of the month gone
const context = (objectTypeId = "0-3", locale = "en-US") => ({
  portal: { id: 24681357, timezone: "UTC" },
  user: { id: 1, email: "kira@example.com", locale, teams: [] },
  crm: { objectId: 30000000001, objectTypeId },
  location: "crm.record.tab",
});
const record = (period, values) => ({
  objectId: period === "2026-11" ? 1 : 2,
  properties: {
    kpi_key: `month|${period}|owner|70000002`, period, period_type: "month",
    scope_name: "Kira Lee", kpi_name: `Kira Lee · ${period}`,
    hs_lastmodifieddate: "2026-11-15T02:00:00.000Z", ...values,
  },
});
const searchResult = (results, extra = {}) => ({
  results, total: results.length, error: null, isLoading: false, isRefetching: false,
  pagination: {}, refetch: async () => {}, ...extra,
});
const properties = (values) => ({
  properties: values, error: null, isLoading: false, isRefetching: false, refetch: async () => {},
});

function renderCard({ owner = "70000002", results = [], objectTypeId = "0-3", company = {},
  search = {}, locale = "en-US", settings = config, now = NOW } = {}) {
  const renderer = createRenderer("crm.record.tab");
  renderer.mocks.useCrmProperties.willCall(() => properties({ hubspot_owner_id: owner, ...company }));
  renderer.mocks.useCrmSearch.willCall(() => searchResult(results, search));
  current = renderer;
  renderer.render(
    <SalesKpisCard context={context(objectTypeId, locale)} now={now} settings={settings} />,
  );
  return renderer;
}

// A table row as the texts of its cells ("Total revenue", "$60,000", …).
const cellsOf = (row) => row.findAll(TableCell).map((cell) => cell.text || "");
const rowOf = (renderer, label) => {
  const row = renderer.findAll(TableRow).find((r) => cellsOf(r)[0] === label);
  return { cells: cellsOf(row), text: cellsOf(row).join(" | "), find: (c) => row.find(c) };
};

describe("the Sales KPIs card", () => {
  test("asks for the owner's two records by key, this month and the one before", () => {
    const renderer = renderCard();
    const [request] = renderer.mocks.useCrmSearch.calls.at(-1);
    expect(request.objectType).toBe("p24681357_sales_kpi");
    expect(request.filterGroups[0].filters[0]).toEqual({
      propertyName: "kpi_key", operator: "IN",
      values: ["month|2026-11|owner|70000002", "month|2026-10|owner|70000002"],
    });
    expect(request.properties).toContain("total_revenue_pace");
    expect(request.properties).toContain(config.record.asOf);
    const [asked] = renderer.mocks.useCrmProperties.calls.at(-1);
    expect(asked).toEqual(["hubspot_owner_id"]);  // a deal: no company figures
  });

  test("shows value, target, attainment, pace and a like-for-like trend", () => {
    const renderer = renderCard({ results: [
      record("2026-11", { total_revenue_value: "60000", total_revenue_target: "100000",
        total_revenue_attainment: "60", total_revenue_pace: "120",
        closing_ratio_value: "25", closing_ratio_attainment: "83.3" }),
      record("2026-10", { total_revenue_value: "100000", total_revenue_attainment: "95",
        closing_ratio_value: "30" }),
    ] });
    expect(renderer.find(Heading).text).toBe("Kira Lee: 2026-11 (in progress) and 2026-10");
    const revenue = rowOf(renderer, "Total revenue");
    expect(revenue.text).toContain("$60,000");
    expect(revenue.text).toContain("$100,000");
    expect(revenue.text).toContain("60.0%");
    expect(revenue.text).toContain("120.0%");
    // 60,000 by mid-month against half of October's 100,000: ahead, so better
    expect(revenue.find(Tag).props.variant).toBe("success");
    expect(revenue.find(Tag).text).toBe("▲");
    const closing = rowOf(renderer, "Sales closing ratio");
    expect(closing.find(Tag).props.variant).toBe("warning");  // 25 % after 30 %
    expect(closing.text).toContain("25.0%");
    expect(renderer.findByTestId(Text, "as-of").text).toBe("Updated Nov 15, 2026, 2:00 AM UTC");
  });

  test("says when the figures were computed once crm-kpi writes it", () => {
    const renderer = renderCard({ results: [
      record("2026-11", { [config.record.asOf]: "2026-11-15T03:30:00Z" }),
    ] });
    expect(renderer.findByTestId(Text, "as-of").text).toBe("Computed Nov 15, 2026, 3:30 AM UTC");
  });

  test("uses the viewer's locale and the reporting currency", () => {
    const renderer = renderCard({ locale: "de-DE", results: [
      record("2026-11", { total_revenue_value: "1234567" }),
    ] });
    expect(rowOf(renderer, "Total revenue").text).toContain("1.234.567");
  });

  test("on a company shows the company's own figures first", () => {
    const renderer = renderCard({ objectTypeId: "0-2", company: {
      crm_kpi_revenue_this_year: "250000", crm_kpi_last_nps_score: "9",
      crm_kpi_customer_since: "2024-03-01" } });
    const [asked] = renderer.mocks.useCrmProperties.calls.at(-1);
    expect(asked).toContain("crm_kpi_revenue_this_year");
    const texts = renderer.findAll(Text).map((t) => t.text);
    expect(texts).toContain("Revenue this year: $250,000");
    expect(texts).toContain("Customer since: 2024-03-01");
    expect(texts).toContain("Churned on: —");
  });

  test("on a company says when its figures were computed, with the owner's KPIs", () => {
    const renderer = renderCard({ objectTypeId: "0-2", company: { crm_kpi_revenue_this_year: "1" },
      results: [record("2026-11", { as_of: "2026-11-15T03:30:00Z" })] });
    expect(renderer.findByTestId(Text, "as-of").text)
      .toBe("Computed Nov 15, 2026, 3:30 AM UTC, with this company's figures");
  });

  test("explains a record without owner, an empty answer and a refusal", () => {
    expect(renderCard({ owner: null }).find(Text).text).toMatch(/has no owner/);
    expect(renderCard().find(Text).text).toMatch(/No KPIs of this record's owner for 2026-11/);
    const refused = renderCard({ search: { error: new Error("Unable to infer object type") } });
    expect(refused.find(Alert).text).toMatch(/Enterprise subscription/);
  });

  test("says why there is no pace yet", () => {
    const renderer = renderCard({ results: [
      record("2026-11", { pace_note: "pace from day 8 of the month (today is day 3)" }),
    ] });
    expect(renderer.findByTestId(Text, "pace-note").text)
      .toBe("No pace yet: pace from day 8 of the month (today is day 3)");
  });
});

// A portal whose config and mapping differ from the defaults in everything the card
// takes from them: what `crm-kpi card hubspot` writes for it.
const EURO = {
  ...config,
  kpiObject: "kpi_record", periodType: "quarter", fiscalYearStartMonth: 4,
  timeZone: "Europe/Berlin", currency: "EUR",
  companyFigures: [{ key: "revenue_this_year", label: "Revenue this year", unit: "money",
    decimals: 0, property: "umsatz_dieses_jahr" }],
};

describe("the card as written for another portal", () => {
  test("asks for its fiscal quarters of its object, on its own calendar day", () => {
    // 31 December 2026, 23:30 UTC: already 1 January 2027 in Berlin, Q4 of FY 2026
    const renderer = renderCard({ settings: EURO, now: new Date(Date.UTC(2026, 11, 31, 23, 30)) });
    const [request] = renderer.mocks.useCrmSearch.calls.at(-1);
    expect(request.objectType).toBe("p24681357_kpi_record");
    expect(request.filterGroups[0].filters[0].values).toEqual(
      ["quarter|2026-Q4|owner|70000002", "quarter|2026-Q3|owner|70000002"],
    );
  });

  test("shows its currency, its company properties, and computed times in its zone", () => {
    const renderer = renderCard({ settings: EURO, objectTypeId: "0-2",
      company: { umsatz_dieses_jahr: "250000" },
      results: [{ objectId: 1, properties: {
        kpi_key: "quarter|2026-Q3|owner|70000002", period: "2026-Q3", period_type: "quarter",
        scope_name: "Kira Lee", total_revenue_value: "60000", as_of: "2026-11-15T03:30:00Z" } }] });
    const [asked] = renderer.mocks.useCrmProperties.calls.at(-1);
    expect(asked).toEqual(["hubspot_owner_id", "umsatz_dieses_jahr"]);
    const texts = renderer.findAll(Text).map((t) => t.text);
    expect(texts).toContain("Revenue this year: €250,000");
    expect(renderer.findAll(Heading).map((h) => h.text))
      .toEqual(["This company", "Kira Lee: 2026-Q3 (in progress) and 2026-Q2"]);
    expect(rowOf(renderer, "Total revenue").text).toContain("€60,000");
    expect(renderer.findByTestId(Text, "as-of").text).toBe(
      "Computed Nov 15, 2026, 4:30 AM GMT+1, with this company's figures");
  });

  test("on a portal that writes no company figures, a company shows its owner's KPIs only", () => {
    const renderer = renderCard({ settings: { ...config, companyFigures: [] }, objectTypeId: "0-2" });
    const [asked] = renderer.mocks.useCrmProperties.calls.at(-1);
    expect(asked).toEqual(["hubspot_owner_id"]);
    expect(renderer.find(Text).text).toMatch(/No KPIs of this record's owner/);
  });
});
