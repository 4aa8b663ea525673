"""A real OpenLDAP server (slapd) for the LDAP connector tests.

The session-scoped ``slapd`` fixture builds a throwaway directory in a temp dir
(slapd.conf, schema core/cosine/inetorgperson/nis/msuser, one mdb database per
suffix), loads the seed below offline with ``slapadd`` and runs
``slapd -d 0`` in the foreground on a free 127.0.0.1 port, so the test owns the
process and kills it by PID at the end.

Two trees are loaded:

* ``dc=baton,dc=test`` is shaped like OpenLDAP: inetOrgPerson accounts under
  ou=people, groupOfNames / groupOfUniqueNames under ou=groups, the ppolicy
  overlay with a default policy, so ``pwdAccountLockedTime`` locks sign-in.
* ``dc=ad,dc=test`` is shaped like Active Directory (OpenLDAP's msuser schema):
  ``user`` entries with sAMAccountName, userPrincipalName, userAccountControl,
  memberOf and a binary objectGUID; ``group`` entries with member and managedBy.

Every seeded entry can be modified (suspend, group members): the seed carries
the structural object classes slapadd -s leaves out and what msuser requires of
AD objects, and objectGUID has AD's octet-string equality.

People match the demo data (cms/demo/seed.py): emails ``<username>@baton.example``
and employee numbers E0001…E0007.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..servers import free_port, stop_process, wait_until_serving

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

BASE_DN = "dc=baton,dc=test"
ADMIN_DN = f"cn=admin,{BASE_DN}"
PEOPLE_DN = f"ou=people,{BASE_DN}"
GROUPS_DN = f"ou=groups,{BASE_DN}"
SERVICE_DN = f"cn=baton-reader,ou=services,{BASE_DN}"
# The default password policy: it makes slapd refuse sign-in to an account with
# pwdAccountLockedTime, as a directory using ppolicy does.
POLICY_DN = f"cn=default,ou=policies,{BASE_DN}"

AD_BASE_DN = "dc=ad,dc=test"
AD_ADMIN_DN = f"cn=admin,{AD_BASE_DN}"
AD_USERS_DN = f"ou=Users,{AD_BASE_DN}"
AD_GROUPS_DN = f"ou=Groups,{AD_BASE_DN}"

# objectGUIDs of the AD-shaped entries (stored little-endian, as AD does).
AD_SALES_GUID = uuid.UUID("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
AD_DEV_GUID = uuid.UUID("3f2504e0-4f89-41d3-9a0c-0305e82c3302")
AD_SALES_GROUP_GUID = uuid.UUID("3f2504e0-4f89-41d3-9a0c-0305e82c3311")
AD_FINANCE_GROUP_GUID = uuid.UUID("3f2504e0-4f89-41d3-9a0c-0305e82c3312")

# username -> (cn, sn, employee number)
PEOPLE = {
    "manager": ("Zhang Wei", "Zhang", "E0002"),
    "hr": ("Li Na", "Li", "E0003"),
    "sales": ("Chen Fang", "Chen", "E0005"),
    "dev": ("Liu Lei", "Liu", "E0006"),
    "successor": ("Yang Jing", "Yang", "E0007"),
}
LOCKED_USERS = {"hr"}


def email(username: str) -> str:
    return f"{username}@baton.example"


def person_dn(username: str) -> str:
    return f"uid={username},{PEOPLE_DN}"


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS_DN}"


def _entry(dn: str, *pairs: tuple[str, str]) -> str:
    # A name ending in ":" marks a base64 value ("objectGUID:" -> "objectGUID:: …").
    lines = [f"dn: {dn}", *(f"{name}: {value}" for name, value in pairs)]
    return "\n".join(lines) + "\n"


def _guid(value: uuid.UUID) -> tuple[str, str]:
    return ("objectGUID:", base64.b64encode(value.bytes_le).decode())


def openldap_seed() -> str:
    """The OpenLDAP-shaped tree."""
    people = []
    for username, (cn, sn, number) in PEOPLE.items():
        pairs = [
            ("objectClass", "inetOrgPerson"),
            ("uid", username),
            ("cn", cn),
            ("sn", sn),
            ("displayName", cn),
            ("mail", email(username)),
            ("employeeNumber", number),
            ("userPassword", f"{username}-password"),
        ]
        if username in LOCKED_USERS:
            # A permanent ppolicy lock: the account is disabled.
            pairs.append(("pwdAccountLockedTime", "000001010000Z"))
        people.append(_entry(person_dn(username), *pairs))

    def names(*usernames):
        return [("member", person_dn(username)) for username in usernames]

    groups = [
        _entry(
            group_dn("sales-team"),
            ("objectClass", "groupOfNames"),
            ("cn", "sales-team"),
            ("description", "Everyone in Sales"),
            ("owner", person_dn("manager")),
            *names("manager", "sales", "successor"),
        ),
        _entry(
            group_dn("crm-admins"),
            ("objectClass", "groupOfNames"),
            ("cn", "crm-admins"),
            ("description", "Administrators of the CRM"),
            ("owner", person_dn("manager")),
            *names("sales"),
        ),
        _entry(
            group_dn("vpn-users"),
            ("objectClass", "groupOfUniqueNames"),
            ("cn", "vpn-users"),
            ("uniqueMember", person_dn("sales")),
            ("uniqueMember", person_dn("dev")),
            ("uniqueMember", person_dn("successor")),
        ),
        _entry(
            group_dn("engineering"),
            ("objectClass", "groupOfNames"),
            ("cn", "engineering"),
            *names("dev", "successor"),
        ),
        # Not a group by the default filter, although it names sales.
        _entry(
            f"cn=sales-lead,{GROUPS_DN}",
            ("objectClass", "organizationalRole"),
            ("cn", "sales-lead"),
            ("roleOccupant", person_dn("sales")),
        ),
        # Malformed: a group without a cn (loaded with schema checks off).
        _entry(
            f"ou=legacy-share,{GROUPS_DN}",
            ("objectClass", "groupOfNames"),
            ("ou", "legacy-share"),
            *names("sales", "dev"),
        ),
    ]
    return "\n".join(
        [
            _entry(
                BASE_DN,
                ("objectClass", "dcObject"),
                ("objectClass", "organization"),
                ("dc", "baton"),
                ("o", "Baton test company"),
            ),
            _entry(PEOPLE_DN, ("objectClass", "organizationalUnit"), ("ou", "people")),
            _entry(GROUPS_DN, ("objectClass", "organizationalUnit"), ("ou", "groups")),
            _entry(
                f"ou=services,{BASE_DN}",
                ("objectClass", "organizationalUnit"),
                ("ou", "services"),
            ),
            _entry(
                f"ou=policies,{BASE_DN}",
                ("objectClass", "organizationalUnit"),
                ("ou", "policies"),
            ),
            _entry(
                POLICY_DN,
                ("objectClass", "organizationalRole"),
                ("objectClass", "pwdPolicy"),
                ("cn", "default"),
                ("pwdAttribute", "userPassword"),
                ("pwdLockout", "TRUE"),
            ),
            _entry(
                SERVICE_DN,
                ("objectClass", "organizationalRole"),
                ("objectClass", "simpleSecurityObject"),
                ("cn", "baton-reader"),
                ("userPassword", "reader-password"),
            ),
            *people,
            *groups,
        ]
    )


def _ad_required(category: str) -> list[tuple[str, str]]:
    """What msuser's ``mstop`` requires of every AD object, so that slapd lets
    the connector modify the stand-in entries (suspend, group members)."""
    return [
        ("instanceType", "4"),
        ("objectCategory", f"CN={category},CN=Schema,CN=Configuration,{AD_BASE_DN}"),
        ("nTSecurityDescriptor:", base64.b64encode(b"\x01\x00\x04\x80").decode()),
    ]


# The structural object class of each seeded entry, by preference: slapadd -s
# does not work it out, and slapd refuses to modify an entry without it.
STRUCTURAL_CLASSES = (
    "inetOrgPerson",
    "user",
    "group",
    "groupOfNames",
    "groupOfUniqueNames",
    "organizationalRole",
    "organizationalUnit",
    "organization",
)


def _with_structural_classes(ldif: str) -> str:
    blocks = []
    for block in ldif.strip().split("\n\n"):
        classes = {
            line.split(":", 1)[1].strip().lower()
            for line in block.splitlines()
            if line.lower().startswith("objectclass:")
        }
        for name in STRUCTURAL_CLASSES:
            if name.lower() in classes:
                block += f"\nstructuralObjectClass: {name}"
                break
        blocks.append(block)
    return "\n\n".join(blocks) + "\n"


def ad_seed() -> str:
    """The Active Directory-shaped tree."""
    sales = f"CN=Chen Fang,{AD_USERS_DN}"
    dev = f"CN=Liu Lei,{AD_USERS_DN}"
    manager = f"CN=Zhang Wei,{AD_USERS_DN}"
    sales_group = f"CN=Sales,{AD_GROUPS_DN}"
    finance = f"CN=Finance Approvers,{AD_GROUPS_DN}"

    def user(dn, login, cn, number, control, guid, member_of):
        return _entry(
            dn,
            ("objectClass", "top"),
            ("objectClass", "person"),
            ("objectClass", "organizationalPerson"),
            ("objectClass", "user"),
            # msuser has no securityPrincipal class for sAMAccountName.
            ("objectClass", "extensibleObject"),
            *_ad_required("Person"),
            ("cn", cn),
            ("sn", cn.split()[0]),
            ("sAMAccountName", login),
            ("userPrincipalName", f"{login}@ad.baton.test"),
            ("mail", email(login)),
            ("employeeNumber", number),
            ("userAccountControl", str(control)),
            _guid(guid),
            *[("memberOf", group) for group in member_of],
        )

    def group(dn, cn, guid, members, managed_by=None):
        pairs = [
            ("objectClass", "top"),
            ("objectClass", "group"),
            *_ad_required("Group"),
            ("cn", cn),
            ("groupType", "-2147483646"),
            _guid(guid),
            *[("member", member) for member in members],
        ]
        if managed_by:
            pairs.append(("managedBy", managed_by))
        return _entry(dn, *pairs)

    return "\n".join(
        [
            _entry(
                AD_BASE_DN,
                ("objectClass", "dcObject"),
                ("objectClass", "organization"),
                ("dc", "ad"),
                ("o", "Baton AD"),
            ),
            _entry(AD_USERS_DN, ("objectClass", "organizationalUnit"), ("ou", "Users")),
            _entry(
                AD_GROUPS_DN, ("objectClass", "organizationalUnit"), ("ou", "Groups")
            ),
            # 512 = NORMAL_ACCOUNT, 514 = NORMAL_ACCOUNT | ACCOUNTDISABLE
            user(
                sales,
                "sales",
                "Chen Fang",
                "E0005",
                512,
                AD_SALES_GUID,
                [sales_group, finance],
            ),
            user(dev, "dev", "Liu Lei", "E0006", 514, AD_DEV_GUID, [sales_group]),
            _entry(
                manager,
                ("objectClass", "top"),
                ("objectClass", "person"),
                ("objectClass", "organizationalPerson"),
                ("objectClass", "user"),
                ("cn", "Zhang Wei"),
                ("sn", "Zhang"),
                ("sAMAccountName", "manager"),
            ),
            group(sales_group, "Sales", AD_SALES_GROUP_GUID, [sales, dev]),
            group(
                finance, "Finance Approvers", AD_FINANCE_GROUP_GUID, [sales], manager
            ),
        ]
    )


@dataclass
class Slapd:
    """A running slapd and what connectors need to reach it.

    ``settings()`` / ``ad_settings()`` give connector settings for the two trees
    (keyword arguments override single settings), ``secrets()`` the matching
    secrets. ``stop()`` / ``start()`` take the server down and bring it back on
    the same port with the same data; ``pause()`` / ``resume()`` freeze it
    (SIGSTOP/SIGCONT) so it accepts connections but never answers.
    """

    workdir: Path
    port: int
    password: str
    # ldaps:// listener with a certificate for 127.0.0.1 signed by ca_certificate.
    ldaps_port: int = 0
    ca_certificate: str = ""
    host: str = "127.0.0.1"
    bind_dn: str = ADMIN_DN
    base_dn: str = BASE_DN
    user_base_dn: str = PEOPLE_DN
    group_base_dn: str = GROUPS_DN
    service_dn: str = SERVICE_DN
    service_password: str = "reader-password"
    ad_base_dn: str = AD_BASE_DN
    ad_user_base_dn: str = AD_USERS_DN
    ad_group_base_dn: str = AD_GROUPS_DN
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def uri(self) -> str:
        return f"ldap://{self.host}:{self.port}"

    @property
    def ldaps_uri(self) -> str:
        return f"ldaps://{self.host}:{self.ldaps_port}"

    @property
    def conf(self) -> Path:
        return self.workdir / "slapd.conf"

    @property
    def log(self) -> Path:
        return self.workdir / "slapd.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def settings(self, **overrides) -> dict:
        settings = {
            "server_uri": self.uri,
            "flavour": "openldap",
            "bind_dn": self.bind_dn,
            "user_base_dn": self.user_base_dn,
            "group_base_dn": self.group_base_dn,
            "match_by": "email",
            "match_attribute": "mail",
            "timeout": 5,
        }
        settings.update(overrides)
        return settings

    def ad_settings(self, **overrides) -> dict:
        # objectCategory=person only works on a real AD; the stand-in matches on
        # objectClass.
        return self.settings(
            **{
                "flavour": "ad",
                "user_base_dn": self.ad_user_base_dn,
                "group_base_dn": self.ad_group_base_dn,
                "user_filter": "(objectClass=user)",
                **overrides,
            }
        )

    def secrets(self, **overrides) -> dict:
        return {"bind_password": self.password, **overrides}

    def start(self) -> None:
        if self.running:
            return
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - system slapd, fixed args
                [
                    *(SLAPD, "-f", str(self.conf)),
                    *("-h", f"{self.uri}/ {self.ldaps_uri}/"),
                    *("-d", "0"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if wait_until_serving(
            self.process, self._listening, seconds=30, pause=0.1, errors=OSError
        ):
            return
        if self.process.poll() is not None:
            code = self.process.returncode
            raise RuntimeError(f"slapd exited with {code}:\n{self.log.read_text()}")
        self.stop()
        raise RuntimeError(
            f"slapd did not listen on {self.uri}:\n{self.log.read_text()}"
        )

    def _listening(self) -> None:
        for port in (self.port, self.ldaps_port):
            with socket.create_connection((self.host, port), timeout=1):
                pass

    def stop(self, *, kill: bool = False) -> None:
        """Shut slapd down (SIGTERM, or SIGKILL with ``kill=True``) and wait."""
        process, self.process = self.process, None
        stop_process(process, kill=kill)

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificates(workdir: Path) -> str:
    """A CA and a server certificate for 127.0.0.1 / localhost; returns the CA
    as PEM."""
    now = datetime.datetime.now(datetime.UTC)
    days = datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Baton test CA"))
        .issuer_name(_name("Baton test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - days)
        .not_valid_after(now + 30 * days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - days)
        .not_valid_after(now + 30 * days)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_pem = ca.public_bytes(pem).decode()
    (workdir / "ca.pem").write_text(ca_pem)
    (workdir / "server.pem").write_bytes(certificate.public_bytes(pem))
    (workdir / "server.key").write_bytes(
        key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_pem


def _msuser_schema(workdir: Path) -> Path:
    """OpenLDAP's msuser schema, with the octetStringMatch equality AD gives
    objectGUID, so the connector can find entries by (objectGUID=…) as on AD."""
    text = (SCHEMA_DIR / "msuser.schema").read_text()
    declaration = "NAME 'objectGUID'"
    assert declaration in text, "msuser.schema declares no objectGUID"
    text = text.replace(declaration, f"{declaration}\n\tEQUALITY octetStringMatch", 1)
    path = workdir / "msuser.schema"
    path.write_text(text)
    return path


def _config(workdir: Path, password: str) -> str:
    schemas = "\n".join(
        [
            *(
                f"include {SCHEMA_DIR / name}.schema"
                for name in ("core", "cosine", "inetorgperson", "nis")
            ),
            f"include {_msuser_schema(workdir)}",
        ]
    )
    return f"""{schemas}
modulepath {MODULE_DIR}
moduleload back_mdb
moduleload ppolicy
pidfile {workdir / "slapd.pid"}
argsfile {workdir / "slapd.args"}
TLSCACertificateFile {workdir / "ca.pem"}
TLSCertificateFile {workdir / "server.pem"}
TLSCertificateKeyFile {workdir / "server.key"}

database mdb
suffix "{BASE_DN}"
rootdn "{ADMIN_DN}"
rootpw "{password}"
directory {workdir / "baton"}
maxsize 33554432
index objectClass eq
index mail,uid,employeeNumber eq
index member,uniqueMember eq
overlay ppolicy
ppolicy_default "{POLICY_DN}"

database mdb
suffix "{AD_BASE_DN}"
rootdn "{AD_ADMIN_DN}"
rootpw "{password}"
directory {workdir / "ad"}
maxsize 33554432
index objectClass eq
index member eq
"""


def _build(workdir: Path, password: str) -> str:
    """Write the config, certificates and data; return the CA certificate."""
    (workdir / "baton").mkdir()
    (workdir / "ad").mkdir()
    ca_pem = _certificates(workdir)
    (workdir / "slapd.conf").write_text(_config(workdir, password))
    for suffix, seed in ((BASE_DN, openldap_seed()), (AD_BASE_DN, ad_seed())):
        ldif = workdir / f"{suffix.split(',')[0].split('=')[1]}.ldif"
        ldif.write_text(_with_structural_classes(seed))
        # -s: no schema checks, so the malformed group (no cn) and the AD-shaped
        # entries (without AD's operational attributes) load.
        result = subprocess.run(  # noqa: S603 - the system slapadd, fixed args
            [
                SLAPADD,
                "-f",
                str(workdir / "slapd.conf"),
                "-b",
                suffix,
                "-s",
                "-l",
                str(ldif),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise RuntimeError(
                f"slapadd failed for {suffix}:\n{result.stdout}{result.stderr}"
            )
    return ca_pem


@pytest.fixture(scope="session")
def slapd():
    if not (os.path.exists(SLAPD) and os.path.exists(SLAPADD)):
        message = (
            f"{SLAPD} is not installed (apt-get install slapd ldap-utils); "
            "the LDAP connector tests need a real OpenLDAP server."
        )
        if os.environ.get("BATON_REQUIRE_SERVERS"):
            pytest.fail(message + " BATON_REQUIRE_SERVERS is set, so this is an error.")
        pytest.skip(message)
    workdir = Path(tempfile.mkdtemp(prefix="baton-slapd-"))
    # A fresh password per session: tests check it never leaks into messages.
    plain = free_port()
    server = Slapd(
        workdir=workdir,
        port=plain,
        ldaps_port=next(port for port in iter(free_port, None) if port != plain),
        password="pw-" + secrets.token_hex(12),
    )
    try:
        server.ca_certificate = _build(workdir, server.password)
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def running_slapd(slapd):
    """The session's slapd, brought back up if an earlier test left it down."""
    if slapd.running:
        slapd.resume()
    else:
        slapd.start()
    yield slapd
    if not slapd.running:
        slapd.start()
    else:
        slapd.resume()
