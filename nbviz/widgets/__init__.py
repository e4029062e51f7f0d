"""nbviz explorers: anywidget widgets that orchestrate compute and stream results to the browser."""
