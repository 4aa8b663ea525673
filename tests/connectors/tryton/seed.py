"""Seed a freshly initialised Tryton database for the connector tests.

Run by the fixture as a script, in its own process, with trytond as a library
(proteus' trytond backend)::

    python seed.py <trytond.conf> <database name> <output.json>

It writes what the tests need to know (record ids by name) to the JSON file.

The company "Baton Trading" (currency CNY) has three employees, the demo people
of cms/demo/seed.py: Chen Fang (sales), Yang Jing (successor) and Liu Lei
(dev), each a party with the e-mail ``<username>@baton.example``, the employee
number as party code, and a Tryton login ``<username>`` linked to the employee.

Chen Fang's book, the issue's sales scenario ("a salesperson with 3 clients
and 2 open deals"):

* Hangzhou West Lake Tea: open opportunity "Tea shop POS rollout" (128,000.00
  CNY) and a lost one, "Kiosk pilot".
* Suzhou Silk Imports: open lead "Annual silk supply renewal" (45,000.50 USD).
* Shenzhen Harbor Logistics: "Fleet tracking pilot", converted into a sale
  that was quoted at 30,000.00 CNY (the client's last quote; not an open deal).

Liu Lei owns a lead at Chengdu Panda Travel; Yang Jing owns nothing yet.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from decimal import Decimal

COMPANY = "Baton Trading Co., Ltd."
# username -> (name, employee number)
EMPLOYEES = {
    "sales": ("Chen Fang", "E0005"),
    "successor": ("Yang Jing", "E0007"),
    "dev": ("Liu Lei", "E0006"),
}
TODAY = datetime.date(2026, 11, 2)


def main(conf: str, database: str, output: str) -> None:
    # trytond reads the database URI from here; the config file gives its path.
    os.environ["TRYTOND_DATABASE_URI"] = "sqlite://"
    from proteus import Model, config
    from trytond.pool import Pool

    # Test mode: e-mail addresses are checked without DNS look-ups (the demo
    # domain baton.example has no mail server, and tests make no outside calls).
    Pool.test = True
    config.set_trytond(database=database, config_file=conf)

    Currency = Model.get("currency.currency")
    Party = Model.get("party.party")
    Company = Model.get("company.company")
    Employee = Model.get("company.employee")
    User = Model.get("res.user")
    Opportunity = Model.get("sale.opportunity")
    Sale = Model.get("sale.sale")
    Uom = Model.get("product.uom")

    cny = Currency(
        name="Chinese Yuan", code="CNY", symbol="¥", rounding=Decimal("0.01")
    )
    cny.save()
    usd = Currency(name="US Dollar", code="USD", symbol="$", rounding=Decimal("0.01"))
    usd.save()

    company_party = Party(name=COMPANY)
    company_party.save()
    company = Company(party=company_party, currency=cny, timezone="Asia/Shanghai")
    company.save()

    admin = User.find([("login", "=", "admin")])[0]
    admin.companies.append(Company(company.id))
    admin.company = company
    admin.save()
    # The company is picked from the user's preferences from here on.
    config.get_config()._context = User.get_preferences(True, {})

    ids = {"company": company.id, "employees": {}, "parties": {}, "opportunities": {}}
    employees = {}
    for username, (name, number) in EMPLOYEES.items():
        party = Party(name=name, code=number)
        mechanism = party.contact_mechanisms.new()
        mechanism.type = "email"
        mechanism.value = f"{username}@baton.example"
        party.save()
        employee = Employee(party=party, company=company)
        employee.save()
        employees[username] = employee
        ids["employees"][username] = employee.id
        user = User(name=name, login=username)
        user.companies.append(Company(company.id))
        user.company = company
        user.employees.append(Employee(employee.id))
        user.employee = employee
        user.save()

    def client(name, *, contact, email, phone, attn=None, city=None):
        party = Party(name=name)
        if email:
            mechanism = party.contact_mechanisms.new()
            mechanism.type = "email"
            mechanism.value = email
            mechanism.name = contact
        if phone:
            mechanism = party.contact_mechanisms.new()
            mechanism.type = "phone"
            mechanism.value = phone
            mechanism.name = contact
        address = party.addresses[0] if party.addresses else party.addresses.new()
        address.attn = attn
        address.city = city
        party.save()
        ids["parties"][name] = party.id
        return party

    tea = client(
        "Hangzhou West Lake Tea Co., Ltd.",
        contact="Wang Li",
        email="wang.li@westlaketea.example",
        phone="+86 571 8888 1234",
        city="Hangzhou",
    )
    silk = client(
        "Suzhou Silk Imports",
        contact=None,
        email="orders@suzhousilk.example",
        phone=None,
        attn="Zhou Min",
        city="Suzhou",
    )
    harbor = client(
        "Shenzhen Harbor Logistics",
        contact="Li Qiang",
        email="li.qiang@harbor-logistics.example",
        phone="+86 755 2222 9090",
        city="Shenzhen",
    )
    panda = client(
        "Chengdu Panda Travel",
        contact="He Yun",
        email="he.yun@pandatravel.example",
        phone=None,
        city="Chengdu",
    )

    def opportunity(title, party, owner, amount, currency, *, comment=None, **values):
        record = Opportunity(
            description=title,
            party=party,
            employee=employees[owner],
            amount=Decimal(amount),
            currency=currency,
            start_date=TODAY,
            comment=comment,
            **values,
        )
        record.save()
        ids["opportunities"][title] = record.id
        return record

    pos = opportunity(
        "Tea shop POS rollout",
        tea,
        "sales",
        "128000.00",
        cny,
        comment=(
            "Send the revised proposal by Friday.\nThey compare us with two others."
        ),
        conversion_probability=0.6,
        reference="WLT-2026-04",
    )
    pos.click("opportunity")
    opportunity("Annual silk supply renewal", silk, "sales", "45000.50", usd)
    kiosk = opportunity("Kiosk pilot", tea, "sales", "8000.00", cny)
    kiosk.click("lost")
    fleet = opportunity(
        "Fleet tracking pilot",
        harbor,
        "sales",
        "30000.00",
        cny,
        comment="Quote sent; waiting for their purchasing department.",
    )
    fleet.click("opportunity")
    fleet.click("convert")
    fleet.reload()
    sale = Sale(fleet.sales[0].id)
    line = sale.lines.new()
    line.type = "line"
    line.description = "Fleet tracking pilot, 5 consulting days"
    line.quantity = 5
    line.unit = Uom.find([("name", "=", "Unit")])[0]
    line.unit_price = Decimal("6000.00")
    sale.quotation_date = datetime.date(2026, 10, 20)
    sale.save()
    sale.click("quote")
    ids["sales"] = {"Fleet tracking pilot": sale.id}
    opportunity("Booking platform integration", panda, "dev", "20000.00", cny)

    with open(output, "w") as handle:
        json.dump(ids, handle, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:4])
