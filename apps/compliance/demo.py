"""A small, fictitious sanctions list, imported so that screening has something to find."""

from apps.accounts.demo import demo_staff_email
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.compliance.models import SanctionsList
from apps.compliance.services import sanctions_list_import
from apps.core.demo import demo_seeder

DEMO_LIST = """entry_id,name,aliases,birth_date,countries,list,listed_on
DEMO-1,Sergei Petrovich Volkonsky,Сергей Волконский,1961-04-12,RU|CY,EU,2022-03-01
DEMO-2,Amara Okonkwo-Bassey,,1975,NG,UN,
"""


@demo_seeder
def seed_demo_sanctions() -> list[str]:
    if not SanctionsList.objects.filter(name="Demo consolidated list").exists():
        officer = User.objects.get(email=demo_staff_email(Role.COMPLIANCE))
        sanctions_list_import(name="Demo consolidated list", csv_text=DEMO_LIST, by=officer)
    return ["Demo sanctions list: screening found a possible match to review (/admin/compliance/)."]
