"""Roles are Django groups; later features check the permission codenames below."""

from django.utils.translation import gettext_lazy as _

COMPANY_ADMIN = "Company admin"
CRM_USER = "CRM user"
PSTN_CALLER = "PSTN caller"
ANNOUNCER = "Announcer"

# role -> permissions ("app_label.codename") it grants
ROLE_PERMISSIONS: dict[str, list[str]] = {
    COMPANY_ADMIN: [
        "accounts.manage_company",
        "accounts.view_company",
        "accounts.change_company",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_profile",
        "accounts.change_profile",
        "accounts.view_region",
        "accounts.add_region",
        "accounts.change_region",
        "accounts.delete_region",
    ],
    CRM_USER: ["accounts.use_crm"],
    PSTN_CALLER: ["accounts.call_pstn"],
    ANNOUNCER: ["accounts.send_announcements"],
}

ROLE_LABELS = {
    COMPANY_ADMIN: _("Company admin"),
    CRM_USER: _("CRM user"),
    PSTN_CALLER: _("PSTN caller"),
    ANNOUNCER: _("Announcer"),
}


def ensure_roles(**kwargs: object) -> None:
    """Create the role groups with their permissions (post_migrate, so also after flush)."""
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*wanted)
