/**
 * The recipient's mailbox is full or over its quota.
 * One phrase per line, matched without regard to case; ./index.ts says in which order the lists are tried.
 */

export const phrases: RegExp[] = [
	/mailbox (?:is |was )?(?:full|over ?quota)/,
	/mail ?box full/,
	/over ?quota/,
	/over (?:the |their |his |her |its |your )?(?:storage |mailbox |disk )?(?:quota|storage limit|size limit|limit)/,
	/quota (?:exceeded|exceed|full|violation)/,
	/exceeded (?:the )?(?:storage|quota|mailbox|disk)/,
	/(?:storage|disk|mailbox) (?:quota|allocation|space) (?:exceeded|full)/,
	/insufficient (?:disk )?(?:space|storage) (?:for|in) (?:the )?(?:user|mailbox|recipient)/,
	/mailbox (?:size|storage) (?:limit )?exceeded/,
	/mailbox has exceeded/,
	/mailbox exceeds (?:the |its )?(?:allowed |maximum |max )?(?:size|quota|limit)/,
	/user(?:'s)? (?:mailbox|disk) (?:is )?full/,
	/full mailbox/,
	/recipient(?:'s)? mailbox (?:is )?full/,
	/messages in (?:the )?recipient'?s? mailbox exceeded/,
	/mailbox .{0,40} is full/,
	/as their mailbox is full/,
	/(?:will|would) exceed (?:the |your |its |their )?(?:storage |mailbox |disk )?quota/,
	/maildir (?:over|exceeds)/,
	/inbox is out of (?:storage|space)/,
	/postfach[^.\n]{0,30}(?:voll|überfüllt|überschritten)/,
	/bo[iî]te (?:aux lettres|de r[ée]ception)[^.\n]{0,40}pleine/,
	/buz[óo]n[^.\n]{0,30}lleno/,
	/caixa (?:postal|de (?:correio|entrada))[^.\n]{0,30}(?:cheia|lotada)/,
	/casella[^.\n]{0,30}piena/,
	/(?:mailbox|postvak) (?:is )?vol\b/,
	/ящик[^.\n]{0,30}переполнен/,
	/превышен[а-я]{0,3} квот/,
	/メールボックスが(?:いっぱい|満杯)/,
	/容量(?:を|が)?(?:超過|オーバー)/,
];
