"""Between reports: the daily pulse, incident alerts and complaint themes."""
