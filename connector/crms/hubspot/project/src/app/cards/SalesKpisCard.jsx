// The Sales KPIs card: the record owner's KPIs this period and the one before, and on a
// company its own figures. Data comes from HubSpot itself, as the viewing user may see
// it: the record's properties (useCrmProperties) and one search for the owner's two KPI
// records by their key (useCrmSearch). No backend, no serverless function. What it reads
// and how it shows it (object, properties, currency, periods) is `cardConfig.js`, which
// `crm-kpi card hubspot` writes from the portal's config and mapping.
import React from "react";
import {
  Alert, Divider, Flex, Heading, LoadingSpinner, Table, TableBody, TableCell, TableHead,
  TableHeader, TableRow, Tag, Text, useCrmSearch,
} from "@hubspot/ui-extensions";
import { useCrmProperties } from "@hubspot/ui-extensions/crm";
import config from "./cardConfig.js";
import { asOf, byPeriod, calendar, formatFigure, kpiRows, kpiSearchRequest } from "./kpiData.js";

const COMPANY = "0-2";
const ARROWS = { up: "▲", down: "▼", flat: "=" };

export function SalesKpisCard({ context, now = new Date(), settings = config }) {
  const company = context.crm.objectTypeId === COMPANY && settings.companyFigures.length > 0;
  const figureProperties = company ? settings.companyFigures.map((f) => f.property) : [];
  const record = useCrmProperties([settings.ownerProperty, ...figureProperties]);
  const ownerId = record.properties[settings.ownerProperty];
  const request = kpiSearchRequest({ portalId: context.portal.id, settings,
    ownerId: ownerId || "-", now });
  const search = useCrmSearch(request);
  const shown = { locale: context.user.locale || "en-US", currency: settings.currency };
  if (record.isLoading) return <LoadingSpinner label="Reading this record" />;
  return (
    <Flex direction="column" gap="medium">
      {company && <CompanyFigures properties={record.properties} settings={settings} shown={shown} />}
      {company && <Divider />}
      <OwnerKpis ownerId={ownerId} search={search} now={now} settings={settings} shown={shown}
        company={company} />
    </Flex>
  );
}

function OwnerKpis({ ownerId, search, now, settings, shown, company }) {
  if (!ownerId) return <Text>This record has no owner, so there are no rep KPIs to show.</Text>;
  if (search.isLoading) return <LoadingSpinner label="Reading the owner's KPIs" />;
  if (search.error) {
    return (
      <Alert title="The owner's KPIs cannot be read" variant="warning">
        HubSpot refused the {settings.kpiObject} records ({String(search.error.message || search.error)}).
        They exist only on portals with custom objects (an Enterprise subscription) where
        crm-kpi ran; your permissions must let you view them.
      </Alert>
    );
  }
  const { current, previous, share } = calendar(now, settings);
  if (search.results.length === 0) {
    return (
      <Text>
        No KPIs of this record's owner for {current} or {previous} that you may see: crm-kpi
        writes them each night for active reps.
      </Text>
    );
  }
  const rows = kpiRows(search.results, settings, { current, previous, share });
  const name = search.results[0].properties[settings.record.scopeName];
  const paceNote = (byPeriod(search.results, settings)[current] || {})[settings.record.paceNote];
  // One run computes the owner's KPIs and the company's figures: the stamp covers both.
  const stamp = asOf(search.results, settings, shown.locale);
  const covered = company ? `${stamp}, with this company's figures` : stamp;
  return (
    <Flex direction="column" gap="small">
      <Heading>{name}: {current} (in progress) and {previous}</Heading>
      <KpiTable rows={rows} current={current} previous={previous} shown={shown} />
      {paceNote && <Text variant="microcopy" testId="pace-note">No pace yet: {paceNote}</Text>}
      {stamp && <Text variant="microcopy" testId="as-of">{covered}</Text>}
    </Flex>
  );
}

function KpiTable({ rows, current, previous, shown }) {
  const cell = (value, unit, decimals) => formatFigure(value, unit, decimals, shown);
  return (
    <Table bordered={true}>
      <TableHead>
        <TableRow>
          <TableHeader>KPI</TableHeader>
          <TableHeader>{current}</TableHeader>
          <TableHeader>Target</TableHeader>
          <TableHeader>Attainment</TableHeader>
          <TableHeader>Pace</TableHeader>
          <TableHeader>Trend</TableHeader>
          <TableHeader>{previous}</TableHeader>
          <TableHeader>Attainment</TableHeader>
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map(({ kpi, current: now, previous: before, trend }) => (
          <TableRow key={kpi.key}>
            <TableCell>{kpi.label}</TableCell>
            <TableCell>{cell(now.value, kpi.unit, kpi.decimals)}</TableCell>
            <TableCell>{cell(now.target, kpi.unit, kpi.decimals)}</TableCell>
            <TableCell>{cell(now.attainment, "ratio", 1)}</TableCell>
            <TableCell>{"pace" in kpi.properties ? cell(now.pace, "ratio", 1) : ""}</TableCell>
            <TableCell><Trend trend={trend} /></TableCell>
            <TableCell>{cell(before.value, kpi.unit, kpi.decimals)}</TableCell>
            <TableCell>{cell(before.attainment, "ratio", 1)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Trend({ trend }) {
  if (!trend) return "";
  const variant = trend.better === null ? "default" : trend.better ? "success" : "warning";
  return <Tag variant={variant}>{ARROWS[trend.direction]}</Tag>;
}

function CompanyFigures({ properties, settings, shown }) {
  return (
    <Flex direction="column" gap="small">
      <Heading>This company</Heading>
      {settings.companyFigures.map((figure) => {
        const raw = properties[figure.property];
        const text = figure.unit === "date"
          ? raw || "—"
          : formatFigure(raw === null || raw === undefined || raw === "" ? null : Number(raw),
            figure.unit, figure.decimals, shown);
        return <Text key={figure.key}>{figure.label}: {text}</Text>;
      })}
    </Flex>
  );
}
