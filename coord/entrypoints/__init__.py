"""The skins: the command line and the HTTP functions parse input, call the same jobs, and format output."""
