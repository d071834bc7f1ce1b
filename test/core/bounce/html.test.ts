/** HTML to text (html.ts) and what the MIME pre-pass hands the MIME parser for HTML parts. */
import { parseBounce } from '../../../core/bounce';
import { compactBody } from '../../../core/bounce/compact';
import { flattenHtml, htmlToText } from '../../../core/bounce/html';

/** The decoded leaf parts of a compacted multipart body, with the header written above each. */
function leaves(body: string): Array<{ header: string; content: Buffer }> {
	return body
		.split(/\r\n--[^\r\n]*\r\n|^--[^\r\n]*\r\n/)
		.filter((p) => p.includes('\r\n\r\n'))
		.map((p) => {
			const [header, encoded] = p.split('\r\n\r\n');
			return { header, content: Buffer.from(encoded.trim(), 'base64') };
		});
}

describe('flattenHtml / htmlToText', () => {
	it('drops tags, scripts, styles and comments and breaks lines where blocks end', () => {
		const html =
			'<html><head><style>p { color: red }</style><script type="text/javascript">if (a < b) x();</script></head>' +
			'<body><p>Delivery has <b>failed</b> to:</p><!-- a <b>comment</b> --><div>a@dest.example<br>550 5.1.1 no such user</div></body></html>';
		expect(htmlToText(html)).toBe(
			'  Delivery has failed to:\na@dest.example\n550 5.1.1 no such user\n',
		);
	});

	it('keeps entities for the reader and writes a text "<" as &lt;, so nothing in the output looks like a tag', () => {
		expect(flattenHtml('a < b &amp; <i>c</i> &#233;<')).toBe('a &lt; b &amp; c &#233;&lt;');
		expect(htmlToText('a < b &amp; <i>c</i> &#233; &#xE9; &bogus; &#0;')).toBe(
			'a < b & c é é &bogus;  ',
		);
	});

	it('ends at an unclosed comment, script or tag, as a browser does', () => {
		expect(htmlToText('before<!-- open comment <p>after</p>')).toBe('before');
		expect(htmlToText('before<script>x()<p>after</p>')).toBe('before');
		expect(htmlToText('before<p class="x')).toBe('before');
		expect(htmlToText('before<script>x()</script >after')).toBe('before after');
	});
});

describe('MIME pre-pass for HTML parts', () => {
	it("hands the MIME parser flat HTML in UTF-8, decoded from the part's charset", () => {
		const html = Buffer.from(
			'<p>Zustellung fehlgeschlagen: Empf\u00e4nger unbekannt</p><script>x</script>',
			'latin1',
		);
		const body = `--B\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n${html.toString('base64')}\r\n--B--\r\n`;
		const out = compactBody('multipart/alternative; boundary="B"', '', body);
		const [part] = leaves(out.body);
		expect(part.header).toBe(
			'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64',
		);
		expect(part.content.toString('utf8')).toBe('Zustellung fehlgeschlagen: Empfänger unbekannt\n ');
	});

	it('reads HTML in UTF-16 by its characters, not its bytes', () => {
		const html = Buffer.from('<script>hidden</script><p>550 no such user</p>', 'utf16le');
		const out = compactBody('text/html; charset=utf-16le', 'base64', html.toString('base64'));
		expect(out.contentType).toBe('text/html; charset=utf-8');
		expect(Buffer.from(out.body, 'base64').toString('utf8')).toBe(' 550 no such user\n');
	});

	it('writes one Content-Type per part and every leaf as base64, so no header can be read another way', () => {
		// A second Content-Type and a header name with a space before its colon: the MIME parser
		// reads them differently from a plain scan and would see raw HTML.
		const body = [
			'--outer',
			'Content-Type: text/plain',
			'Content-Type: text/html',
			'',
			'<script>one',
			'--outer',
			'Content-Type : text/html',
			'',
			'<p>two</p><script>',
			'--outer--',
			'',
		].join('\r\n');
		const out = compactBody('multipart/mixed; boundary="outer"', '', body);
		expect(out.contentType).toBe('multipart/mixed; boundary="outer"');
		expect(out.body.split('\r\n').filter((l) => l.startsWith('--'))).toEqual([
			'--outer',
			'--outer',
			'--outer--',
		]);
		expect(leaves(out.body).map((p) => [p.header, p.content.toString('utf8')])).toEqual([
			['Content-Type: text/plain\r\nContent-Transfer-Encoding: base64', '<script>one'],
			['Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64', 'two\n'],
		]);
	});

	it('reads a multipart it cannot split (no boundary in its header) as plain text', () => {
		const body = 'no parts here\r\n'.repeat(3);
		expect(compactBody('multipart/mixed', '', body)).toEqual({
			contentType: 'text/plain',
			body: Buffer.from(body, 'latin1').toString('base64'),
			base64: true,
		});
	});

	it('still reads the notice of an HTML bounce that ends in a flood of unclosed <script>', async () => {
		const mail =
			'From: Mail Delivery System <MAILER-DAEMON@mx.sender.example>\r\nTo: rep@sender.example\r\nSubject: Undelivered Mail Returned to Sender\r\nContent-Type: text/html\r\n\r\n' +
			'<p>Delivery to the following recipient failed permanently:</p><p>gone@dest.example</p><p>550 5.1.1 no such user</p>' +
			'<script>'.repeat(15000);
		const r = await parseBounce(Buffer.from(mail));
		expect(r.failures.map((f) => [f.recipient, f.status, f.reason])).toEqual([
			['gone@dest.example', '5.1.1', 'userunknown'],
		]);
	});
});
