"""The Discord layer: thin cogs that parse, defer, call one service method and render."""
