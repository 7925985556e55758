"""Writers: put KPI results where people look at them."""
