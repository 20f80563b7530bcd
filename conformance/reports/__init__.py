"""Ways to show a run's results: console, JUnit XML, HTML and Markdown."""
