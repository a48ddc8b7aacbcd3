"""Documents for people: the cadence meeting packs and the agreement itself, in Markdown,
HTML and PDF (charts drawn as SVG by vl-convert, PDF by WeasyPrint). Reports call
`analytics/`, `engine/` and the compiled contract; they hold no business rule."""
