"""The web console, served by the API app under `/console`: server-rendered pages for agents
(My cases, the Milestone Tracker), signed-in with an API key exchanged for a session cookie.

`routes` owns the pages and commands, `session` the signed cookie and CSRF token, `views` what a
page shows of a case; `templates/` and `static/` (one stylesheet, one small script, no CDN) are
package data. It reads and commands cases only through the API's own gateway and key lookup.
"""
