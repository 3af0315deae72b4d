"""Drawing arrays without matplotlib: PNG images, SVG line charts and progress bars."""
