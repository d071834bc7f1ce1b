import { smtpLimits } from '../../../../../nodes/DeliveryChannel/channels/smtp/limits';
import { smtpSettings } from '../../../../../nodes/DeliveryChannel/channels/smtp/settings';

const limitsFor = (host: string, extra: Record<string, unknown> = {}) => {
	const credentials = {
		host,
		port: 587,
		security: 'starttls',
		user: 'u@example.com',
		password: 'p',
		...extra,
	};
	return smtpLimits(smtpSettings(credentials), credentials);
};

describe('smtpLimits', () => {
	test("automatic (0, n8n's default): Microsoft 365's limits for its hosts, 5 connections and no limit elsewhere", () => {
		expect(limitsFor('smtp.office365.com', { maxConnections: 0 })).toEqual({
			maxConnections: 3,
			messagesPerMinute: 30,
			recipientsPerDay: 10_000,
			recipientsPerMessage: 500,
		});
		expect(limitsFor('smtp-mail.outlook.com')).toMatchObject({
			maxConnections: 3,
			messagesPerMinute: 30,
		});
		expect(
			limitsFor('mail.example.com', {
				maxConnections: 0,
				messagesPerMinute: 0,
				recipientsPerDay: 0,
			}),
		).toEqual({
			maxConnections: 5,
			messagesPerMinute: undefined,
			recipientsPerDay: undefined,
			recipientsPerMessage: undefined,
		});
	});

	test('values set on the credential win, within bounds', () => {
		expect(
			limitsFor('smtp.office365.com', {
				maxConnections: 2,
				messagesPerMinute: 10,
				recipientsPerDay: 500,
				recipientsPerMessage: 100,
			}),
		).toEqual({
			maxConnections: 2,
			messagesPerMinute: 10,
			recipientsPerDay: 500,
			recipientsPerMessage: 100,
		});
		expect(limitsFor('mail.example.com', { maxConnections: 500 }).maxConnections).toBe(50);
	});
});
