/**
 * HTTP texts nginx 1.22.1 and curl 7.88.1 share with the world: the date
 * format of RFC 9110 5.6.7 (IMF-fixdate, what ngx_http_time writes), nginx's
 * status lines and built-in error pages (src/http/ngx_http_special_response.c
 * and ngx_http_header_filter_module.c ngx_http_status_lines), Debian's default
 * page (/var/www/html/index.nginx-debian.html of nginx-common 1.22.1-9), and
 * the MIME types of Debian's /etc/nginx/mime.types that a lab is likely to
 * serve. Compared byte for byte with test/tools/apps/fixtures/real/http-*.
 */

export const NGINX_VERSION = 'nginx/1.22.1';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function civil(seconds: number) {
  const d = new Date(seconds * 1000);
  return {
    wday: DAYS[d.getUTCDay()]!,
    day: String(d.getUTCDate()).padStart(2, '0'),
    mon: MONTHS[d.getUTCMonth()]!,
    month: String(d.getUTCMonth() + 1).padStart(2, '0'),
    year: d.getUTCFullYear(),
    time: `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}`,
  };
}

/** `Sat, 21 Nov 2026 08:56:33 GMT` (ngx_http_time). */
export function httpDate(seconds: number): string {
  const c = civil(seconds);
  return `${c.wday}, ${c.day} ${c.mon} ${c.year} ${c.time} GMT`;
}

/** `21/Nov/2026:08:56:33 +0000`, the access log's $time_local (the lab runs in UTC). */
export function logTime(seconds: number): string {
  const c = civil(seconds);
  return `${c.day}/${c.mon}/${c.year}:${c.time} +0000`;
}

/** `2026/11/21 08:56:43`, the error log's time (ngx_log_error_core). */
export function errorLogTime(seconds: number): string {
  const c = civil(seconds);
  return `${c.year}/${c.month}/${c.day} ${c.time}`;
}

/** ngx_http_status_lines, for the statuses this nginx sends. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  301: 'Moved Permanently',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Not Allowed',
  408: 'Request Time-out',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

/**
 * ngx_http_error_pages: `<html>` … with the status in the title and h1, then
 * ngx_http_error_tail (server_tokens on), all with CR LF line ends.
 */
export function errorPage(status: number): string {
  const title = `${status} ${STATUS_TEXT[status] ?? ''}`;
  return (
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n` +
    `<center><h1>${title}</h1></center>\r\n` +
    `<hr><center>${NGINX_VERSION}</center>\r\n</body>\r\n</html>\r\n`
  );
}

/** Debian's /var/www/html/index.nginx-debian.html (615 bytes, LF line ends). */
export const DEBIAN_INDEX_PAGE =
  '<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n' +
  'html { color-scheme: light dark; }\n' +
  'body { width: 35em; margin: 0 auto;\n' +
  'font-family: Tahoma, Verdana, Arial, sans-serif; }\n' +
  '</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n' +
  '<p>If you see this page, the nginx web server is successfully installed and\n' +
  'working. Further configuration is required.</p>\n\n' +
  '<p>For online documentation and support please refer to\n' +
  '<a href="http://nginx.org/">nginx.org</a>.<br/>\n' +
  'Commercial support is available at\n' +
  '<a href="http://nginx.com/">nginx.com</a>.</p>\n\n' +
  '<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n';

/** Part of Debian's /etc/nginx/mime.types; others get default_type application/octet-stream. */
const MIME: Readonly<Record<string, string>> = {
  html: 'text/html',
  htm: 'text/html',
  shtml: 'text/html',
  css: 'text/css',
  xml: 'text/xml',
  gif: 'image/gif',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  js: 'application/javascript',
  txt: 'text/plain',
  png: 'image/png',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  json: 'application/json',
  pdf: 'application/pdf',
};

export function mimeType(path: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash) return 'application/octet-stream';
  return MIME[path.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}
