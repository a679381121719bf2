/**
 * The pages the redirect listener serves: success, failure, and the page
 * that re-sends a URL fragment (which browsers never send to a server).
 */

/** Escapes text for an HTML element or a quoted attribute. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

const template = (title: string, color: string, information: string) => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>
body { font-family: system-ui, sans-serif; text-align: center; padding: 50px 0; line-height: 1.5 }
h1 { color: ${color}; font-size: 2.2rem }
p { color: #2f374f; font-size: 1.2rem }
</style>
</head>
<body onload="window.setTimeout(function () { window.close() }, {display_time})">
<h1>${title}</h1>
<p>${information}</p>
</body>
</html>
`

/** `{display_time}`: milliseconds before the page tries to close itself. */
export const defaultSuccessHtml = template("Authentication success", "#228b22", "You can close this tab.")

/** `{information}`: why it failed (HTML-escaped); `{display_time}` as above. */
export const defaultFailureHtml = template("Authentication failed", "#dc143c", "{information}")

/** Fills a page template; `information` is escaped here, never by the caller. */
export const fillPage = (html: string, displayTimeMillis: number, information?: string): string =>
  html
    .replaceAll("{display_time}", String(displayTimeMillis))
    .replaceAll("{information}", information === undefined ? "" : escapeHtml(information).replaceAll("\n", "<br>"))

/**
 * Served when the grant is not in the query: the authorization server put it
 * in the fragment (implicit grant, RFC 6749 section 4.2.2), which the
 * browser keeps to itself. The script posts the fragment's fields to the
 * same URL as a form, so the token never lands in a query string or a
 * server log, and the browser shows the listener's answer.
 */
export const fragmentPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Completing authentication</title></head>
<body>
<noscript>This page needs JavaScript to hand the authorization to the waiting program.</noscript>
<script>
(function () {
  var form = document.createElement("form")
  form.method = "POST"
  form.action = window.location.pathname + window.location.search
  new URLSearchParams(window.location.hash.slice(1)).forEach(function (value, name) {
    var input = document.createElement("input")
    input.type = "hidden"
    input.name = name
    input.value = value
    form.appendChild(input)
  })
  var marker = document.createElement("input")
  marker.type = "hidden"
  marker.name = "effect_http_auth_fragment"
  marker.value = "1"
  form.appendChild(marker)
  document.body.appendChild(form)
  form.submit()
})()
</script>
</body>
</html>
`

/** The form field the fragment page adds, so that an empty fragment is told from a stray request. */
export const fragmentMarker = "effect_http_auth_fragment"
