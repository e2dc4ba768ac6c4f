"""The review page: server-rendered HTML for reviewers, over the same functions the JSON API uses."""
