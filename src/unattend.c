/* unattend.c - unattend.xml written with libxml2 (see unattend.h). */
#include "wintogo/unattend.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define UNATTEND_NS "urn:schemas-microsoft-com:unattend"
#define WCM_NS "http://schemas.microsoft.com/WMIConfig/2002/State"
#define SHELL_SETUP "Microsoft-Windows-Shell-Setup"
#define INTERNATIONAL "Microsoft-Windows-International-Core"
#define DEPLOYMENT "Microsoft-Windows-Deployment"
#define SPECIALIZE "specialize"
#define OOBE_SYSTEM "oobeSystem"
/* An empty password as unattend stores it: Base64 of UTF-16LE
 * (password + "Password"), here of "Password" alone. */
#define EMPTY_PASSWORD "UABhAHMAcwB3AG8AcgBkAA=="
#define USER_NAME_MAX 20
#define COMPUTER_NAME_MAX 15

bool unattend_answers_any(const struct unattend_answers *a)
{
	return a->user || a->skip_oobe || a->bypass_nro || a->locale || a->timezone ||
	       a->computer_name || a->drivers_dir;
}

/* Accounts Windows has already, or keeps for itself (as Rufus lists them). */
static const char *const reserved_users[] = {
	"Administrator", "Guest", "DefaultAccount", "WDAGUtilityAccount", "HelpAssistant",
	"KRBTGT", "Local", "NONE", "SYSTEM",
};

const char *unattend_user_name_problem(const char *name)
{
	size_t chars = 0;
	bool only_dots_spaces = true;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p & 0xc0) != 0x80)
			chars++;
		if (*p < 0x20 || strchr("\"/\\[]:;|=,+*?<>@%", *p))
			return "it may not hold control characters or any of \" / \\ [ ] : ; | = , + * ? < > @ %";
		if (*p != '.' && *p != ' ')
			only_dots_spaces = false;
	}
	if (!chars || chars > USER_NAME_MAX)
		return "it must have 1 to 20 characters";
	if (only_dots_spaces)
		return "it must have a character other than dots and spaces";
	for (size_t i = 0; i < ARRAY_SIZE(reserved_users); i++)
		if (!strcasecmp(name, reserved_users[i]))
			return "Windows has an account of that name already";
	return NULL;
}

const char *unattend_computer_name_problem(const char *name)
{
	size_t len = strlen(name);
	bool digits_only = true;

	if (!len || len > COMPUTER_NAME_MAX)
		return "it must have 1 to 15 characters";
	for (const char *p = name; *p; p++) {
		if (!isascii((unsigned char)*p) || (!isalnum((unsigned char)*p) && *p != '-'))
			return "it may hold only letters A-Z, digits and hyphens";
		if (!isdigit((unsigned char)*p))
			digits_only = false;
	}
	if (digits_only)
		return "it may not be digits only";
	if (name[0] == '-' || name[len - 1] == '-')
		return "it may not start or end with a hyphen";
	return NULL;
}

const char *unattend_arch(enum wim_arch arch)
{
	switch (arch) {
	case WIM_ARCH_X64: return "amd64";
	case WIM_ARCH_ARM64: return "arm64";
	case WIM_ARCH_X86: return "x86";
	case WIM_ARCH_ARM: return "arm";
	default: return NULL;
	}
}

struct builder {
	xmlDocPtr doc;
	xmlNsPtr ns, wcm;
	const char *arch;
	struct unattend_setting *settings;
	size_t n;
	int run_order, logon_order;
};

static void record(struct builder *b, const char *pass, const char *component, char *path,
		   const char *shown)
{
	b->settings = xrealloc(b->settings, (b->n + 1) * sizeof(*b->settings));
	b->settings[b->n++] = (struct unattend_setting){ pass, component, path, xstrdup(shown) };
}

/* The child element of parent called name, made when missing. */
static xmlNodePtr element(struct builder *b, xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST name))
			return c;
	return xmlNewChild(parent, b->ns, BAD_CAST name, NULL);
}

static xmlNodePtr component(struct builder *b, const char *pass, const char *name)
{
	xmlNodePtr settings = NULL, c;

	for (c = xmlDocGetRootElement(b->doc)->children; c && !settings; c = c->next) {
		xmlChar *p = xmlGetProp(c, BAD_CAST "pass");

		if (p && !xmlStrcmp(p, BAD_CAST pass))
			settings = c;
		xmlFree(p);
	}
	if (!settings) {
		settings = xmlNewChild(xmlDocGetRootElement(b->doc), b->ns, BAD_CAST "settings", NULL);
		xmlNewProp(settings, BAD_CAST "pass", BAD_CAST pass);
	}
	for (c = settings->children; c; c = c->next) {
		xmlChar *n = xmlGetProp(c, BAD_CAST "name");
		bool match = n && !xmlStrcmp(n, BAD_CAST name);

		xmlFree(n);
		if (match)
			return c;
	}
	c = xmlNewChild(settings, b->ns, BAD_CAST "component", NULL);
	xmlNewProp(c, BAD_CAST "name", BAD_CAST name);
	xmlNewProp(c, BAD_CAST "processorArchitecture", BAD_CAST b->arch);
	xmlNewProp(c, BAD_CAST "publicKeyToken", BAD_CAST "31bf3856ad364e35");
	xmlNewProp(c, BAD_CAST "language", BAD_CAST "neutral");
	xmlNewProp(c, BAD_CAST "versionScope", BAD_CAST "nonSxS");
	return c;
}

/* The element at path ("UserAccounts/LocalAccounts") below node, made
 * where missing. */
static xmlNodePtr path_node(struct builder *b, xmlNodePtr node, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;

	for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save))
		node = element(b, node, part);
	free(copy);
	return node;
}

/* A value at path ("OOBE/HideEULAPage") below a component; shown is how
 * the plan shows it (NULL: the value itself). */
static void set(struct builder *b, const char *pass, const char *comp, const char *path,
		const char *value, const char *shown)
{
	xmlNodeAddContent(path_node(b, component(b, pass, comp), path), BAD_CAST value);
	record(b, pass, comp, xstrdup(path), shown ? shown : value);
}

/* A new item (wcm:action="add") of the list at path below a component. */
static xmlNodePtr list_item(struct builder *b, const char *pass, const char *comp,
			    const char *path, const char *item)
{
	xmlNodePtr node = path_node(b, component(b, pass, comp), path);

	node = xmlNewChild(node, b->ns, BAD_CAST item, NULL);
	xmlNewNsProp(node, b->wcm, BAD_CAST "action", BAD_CAST "add");
	return node;
}

static void command(struct builder *b, bool first_logon, const char *description, const char *line)
{
	const char *pass = first_logon ? OOBE_SYSTEM : SPECIALIZE;
	const char *comp = first_logon ? SHELL_SETUP : DEPLOYMENT;
	const char *list = first_logon ? "FirstLogonCommands" : "RunSynchronous";
	const char *item = first_logon ? "SynchronousCommand" : "RunSynchronousCommand";
	int order = first_logon ? ++b->logon_order : ++b->run_order;
	xmlNodePtr node = list_item(b, pass, comp, list, item);
	char text[16];

	snprintf(text, sizeof(text), "%d", order);
	xmlNewTextChild(node, b->ns, BAD_CAST "Order", BAD_CAST text);
	xmlNewTextChild(node, b->ns, BAD_CAST "Description", BAD_CAST description);
	xmlNewTextChild(node, b->ns, BAD_CAST(first_logon ? "CommandLine" : "Path"), BAD_CAST line);
	record(b, pass, comp, xasprintf("%s/%s[%d]", list, item, order), line);
}

/* A local administrator with an empty password, as Rufus makes it; the
 * password must be changed at first logon. */
static void local_account(struct builder *b, const char *user)
{
	static const char *const path = "UserAccounts/LocalAccounts/LocalAccount";
	xmlNodePtr acc = list_item(b, OOBE_SYSTEM, SHELL_SETUP, "UserAccounts/LocalAccounts",
				   "LocalAccount");
	xmlNodePtr pw;
	char *line;

	xmlNewTextChild(acc, b->ns, BAD_CAST "Name", BAD_CAST user);
	xmlNewTextChild(acc, b->ns, BAD_CAST "DisplayName", BAD_CAST user);
	xmlNewTextChild(acc, b->ns, BAD_CAST "Group", BAD_CAST "Administrators");
	pw = xmlNewChild(acc, b->ns, BAD_CAST "Password", NULL);
	xmlNewTextChild(pw, b->ns, BAD_CAST "Value", BAD_CAST EMPTY_PASSWORD);
	xmlNewTextChild(pw, b->ns, BAD_CAST "PlainText", BAD_CAST "false");
	record(b, OOBE_SYSTEM, SHELL_SETUP, xasprintf("%s/Name", path), user);
	record(b, OOBE_SYSTEM, SHELL_SETUP, xasprintf("%s/Group", path), "Administrators");
	record(b, OOBE_SYSTEM, SHELL_SETUP, xasprintf("%s/Password", path), "(empty)");
	/* unattend has no "must change the password": a first-logon command
	 * says it, and net accounts keeps net user from setting an expiry */
	line = xasprintf("net user \"%s\" /logonpasswordchg:yes", user);
	command(b, true, "The password must be set at first logon", line);
	free(line);
	command(b, true, "Passwords do not expire", "net accounts /maxpwage:unlimited");
}

static void build(struct builder *b, const struct unattend_answers *a)
{
	if (a->computer_name)
		set(b, SPECIALIZE, SHELL_SETUP, "ComputerName", a->computer_name, NULL);
	if (a->bypass_nro)
		command(b, false, "Allow setup without a network (BypassNRO)",
			"reg add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\OOBE /v BypassNRO /t REG_DWORD /d 1 /f");
	if (a->drivers_dir) {
		char *line = xasprintf("cmd /c pnputil /add-driver \"%s\\*.inf\" /subdirs /install",
				       a->drivers_dir);

		command(b, false, "Install the driver packages wintogo added", line);
		free(line);
	}
	if (a->locale) {
		set(b, OOBE_SYSTEM, INTERNATIONAL, "InputLocale", a->locale, NULL);
		set(b, OOBE_SYSTEM, INTERNATIONAL, "SystemLocale", a->locale, NULL);
		if (a->ui_language)
			set(b, OOBE_SYSTEM, INTERNATIONAL, "UILanguage", a->ui_language, NULL);
		set(b, OOBE_SYSTEM, INTERNATIONAL, "UserLocale", a->locale, NULL);
	}
	if (a->skip_oobe) {
		set(b, OOBE_SYSTEM, SHELL_SETUP, "OOBE/HideEULAPage", "true", NULL);
		set(b, OOBE_SYSTEM, SHELL_SETUP, "OOBE/ProtectYourPC", "3", "3 (least data sent)");
	}
	if (a->timezone)
		set(b, OOBE_SYSTEM, SHELL_SETUP, "TimeZone", a->timezone, NULL);
	if (a->user)
		local_account(b, a->user);
}

int unattend_write(struct wtg_ctx *ctx, const struct unattend_answers *a, enum wim_arch arch, const char *out_path,
		   struct unattend_setting **settings_ret, size_t *n_ret)
{
	struct builder b = { .arch = unattend_arch(arch) };
	xmlNodePtr root;
	int ret = 0;

	if (!b.arch)
		return log_error(ctx, WTG_ERR_UNSUPPORTED, "cannot write unattend.xml for an image of architecture %s; leave the first-boot options out",
				 wim_arch_name(arch));
	b.doc = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewNode(NULL, BAD_CAST "unattend");
	xmlDocSetRootElement(b.doc, root);
	b.ns = xmlNewNs(root, BAD_CAST UNATTEND_NS, NULL);
	xmlSetNs(root, b.ns);
	b.wcm = xmlNewNs(root, BAD_CAST WCM_NS, BAD_CAST "wcm");
	build(&b, a);
	errno = 0;  /* libxml2 leaves errno as the failing call set it, or as it was */
	if (xmlSaveFormatFileEnc(out_path, b.doc, "utf-8", 1) < 0) {
		ret = log_syserr(ctx, errno ? errno : EIO, "cannot write '%s'", out_path);
		unattend_settings_free(b.settings, b.n);
	} else {
		*settings_ret = b.settings;
		*n_ret = b.n;
	}
	xmlFreeDoc(b.doc);
	return ret;
}

void unattend_settings_free(struct unattend_setting *settings, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(settings[i].path);
		free(settings[i].value);
	}
	free(settings);
}

int unattend_check_file(struct wtg_ctx *ctx, const char *path)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int ret = 0;

	if (access(path, R_OK) < 0)
		return log_syserr(ctx, errno, "cannot read the answer file '%s'", path);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char *why = xstrdup(e && e->message ? e->message : "unreadable");

		why[strcspn(why, "\n")] = '\0';
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' is not well-formed XML (line %d: %s); fix it or leave --unattend out",
				path, e ? e->line : 0, why);
		free(why);
	} else if (!root || xmlStrcmp(root->name, BAD_CAST "unattend") || !root->ns ||
		   xmlStrcmp(root->ns->href, BAD_CAST UNATTEND_NS)) {
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' is XML but not an answer file: its root must be <unattend xmlns=\"%s\">",
				path, UNATTEND_NS);
	}
	xmlFreeDoc(doc);
	return ret;
}
