/**
 * Hand-written bounce mails in formats that are rare or absent in the corpus (Microsoft 365 NDR
 * codes, Postfix LMTP / local delivery, Exim, qmail / qmail-ldap, Courier, MDaemon, hMailServer,
 * Kerio, Domino, Google / Gmail (authentication, rate and sending limits), Yahoo / AOL,
 * Outlook.com, iCloud, GMX, mail.ru, filtering gateways (Mimecast, Proofpoint, Barracuda,
 * IronPort, Trend Micro, Sophos, MessageLabs, MailMarshal, MailFoundry, m-FILTER, MXLogic, McAfee,
 * SurfControl), PowerMTA, DragonFly Mail Agent, SendGrid, Amazon WorkMail, Oracle Messaging Server, Exchange 2003 / 2007 and
 * on-premises, Zoho, Apache James, OpenSMTPD, old Sendmail, Lotus Notes, IMail, 1&1, au/KDDI, Biglobe,
 * Verizon, Orange, Tencent, Spectrum, NTT docomo, the x1-x3 Japanese gateways, ESP DSNs, notices in German, French, Spanish, Portuguese, Italian, Dutch,
 * Russian and Japanese, complaints, auto-replies and look-alikes (a read receipt, a ticket
 * acknowledgement, a newsletter about bounces). Every file must be read exactly as expected.json
 * says.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseBounce } from '../../../core/bounce';

const DIR = join(__dirname, '../../fixtures/generated-bounces');

interface Expected {
	index: number;
	status: string;
	replyCode: string;
	reason: string;
	hard: boolean;
	feedbackType: string;
}

const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<
	string,
	Expected[]
>;
const files = readdirSync(DIR)
	.filter((f) => f.endsWith('.eml'))
	.sort();

describe('generated bounce mails', () => {
	it('has an expected entry for every mail and a mail for every entry', () => {
		expect(files.length).toBeGreaterThanOrEqual(30);
		expect(Object.keys(expected).sort()).toEqual(files);
	});

	it.each(files)('%s', async (file) => {
		const report = await parseBounce(readFileSync(join(DIR, file)));
		const got = report.failures.map((f, i) => ({
			index: i + 1,
			status: f.status,
			replyCode: f.replyCode,
			reason: f.reason,
			hard: f.hard,
			feedbackType: f.feedbackType ?? '',
		}));
		expect(got).toEqual(expected[file]);
		if (expected[file].length === 0) expect(report.kind).toBe('not-a-report');
	});
});
