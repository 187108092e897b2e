"""Reading the data: the table contract, header aliases, file readers, validation, engines and workspaces."""
