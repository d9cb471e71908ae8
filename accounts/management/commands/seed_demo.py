import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import roles, services
from accounts.models import Company, User

DEMO_PEOPLE = [
    ("Alice", "Fernandez", [roles.COMPANY_ADMIN, roles.CRM_USER, roles.ANNOUNCER]),
    ("Bob", "Okafor", [roles.PSTN_CALLER]),
    ("Chiara", "Romano", [roles.CRM_USER]),
    ("Dmitri", "Volkov", []),
    ("Elif", "Yilmaz", [roles.PSTN_CALLER, roles.CRM_USER]),
    ("Fatima", "Haddad", []),
    ("Gareth", "Jones", [roles.ANNOUNCER]),
    ("Hana", "Sato", []),
    ("Ibrahim", "Diallo", [roles.PSTN_CALLER]),
    ("Julia", "Nowak", []),
    ("Kwame", "Mensah", [roles.CRM_USER]),
    ("Lucía", "Moreno", []),
]
OTHER_PEOPLE = [
    ("Marta", "Lindqvist", [roles.COMPANY_ADMIN]),
    ("Nikhil", "Rao", []),
    ("Olga", "Petrova", []),
]


class Command(BaseCommand):
    help = "Create a realistic demo: two companies with named users; prints their passwords."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", help="one password for every demo user")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if Company.objects.filter(
            name__in=["Northwind Trading", "Blue Harbour Logistics"]
        ).exists():
            raise CommandError("The demo companies exist already.")
        rows = []
        for company_name, domain, people in [
            ("Northwind Trading", "northwind.example", DEMO_PEOPLE),
            ("Blue Harbour Logistics", "blueharbour.example", OTHER_PEOPLE),
        ]:
            company = services.company_create(name=company_name)
            for first, last, role_names in people:
                password = options["password"] or secrets.token_urlsafe(9)
                email = f"{first.lower().replace('í', 'i')}.{last.lower()}@{domain}"
                services.user_create(
                    company=company,
                    email=email,
                    password=password,
                    first_name=first,
                    last_name=last,
                    roles_=role_names,
                )
                rows.append((company_name, email, password, ", ".join(role_names)))
        width = max(len(r[1]) for r in rows)
        for company_name, email, password, roles_text in rows:
            self.stdout.write(f"{company_name:24} {email:{width}}  {password}  {roles_text}")
        self.stdout.write(self.style.SUCCESS(f"Created {User.objects.count()} users."))
