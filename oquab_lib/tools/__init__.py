"""What runs the book rather than the papers: the papermill runner, the book's build times, the benchmarks."""
