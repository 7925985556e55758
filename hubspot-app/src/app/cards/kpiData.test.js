import { describe, expect, test } from "vitest";
import { elapsedShare, formatFigure, periodsAround, trendOf } from "./kpiData.js";

describe("periods as crm-kpi names them", () => {
  test("months, fiscal quarters and years", () => {
    const date = new Date(Date.UTC(2026, 0, 31));
    expect(periodsAround(date, "month")).toEqual(["2026-01", "2025-12"]);
    expect(periodsAround(date, "quarter")).toEqual(["2026-Q1", "2025-Q4"]);
    expect(periodsAround(date, "quarter", 4)).toEqual(["2025-Q4", "2025-Q3"]);
    expect(periodsAround(date, "year", 4)).toEqual(["2025", "2024"]);
    expect(elapsedShare(date, "month")).toBe(1);
  });
});

describe("figures", () => {
  const shown = { locale: "en-US", currency: "EUR" };
  test("by unit", () => {
    expect(formatFigure(1500.4, "money", 0, shown)).toBe("€1,500");
    expect(formatFigure(12.25, "ratio", 1, shown)).toBe("12.3%");
    expect(formatFigure(41, "days", 0, shown)).toBe("41 d");
    expect(formatFigure(3.25, "multiple", 1, shown)).toBe("3.3:1");
    expect(formatFigure(null, "score", 0, shown)).toBe("—");
  });

  test("a lower-is-better KPI going down is better", () => {
    const kpi = { properties: { value: "cac_value" }, higherIsBetter: false };
    const trend = trendOf(kpi, { current: { value: 90 }, previous: { value: 100 } }, 0.5);
    expect(trend).toEqual({ direction: "down", better: true });
  });
});
