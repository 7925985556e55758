// The card's entry point (`entrypoint` in sales-kpis-hsmeta.json): HubSpot renders it
// on deal, company and contact records and hands it the viewer's context.
import React from "react";
import { hubspot } from "@hubspot/ui-extensions";
import { SalesKpisCard } from "./SalesKpisCard.jsx";

hubspot.extend(({ context }) => <SalesKpisCard context={context} />);
