"""A large Ed-Fi interchange set written on the fly, for the bounded-memory import test.

Shaped like a real state export: most of the bytes are student education organization
associations carrying what a state collects (addresses, telephones, languages, indicators,
identification codes) and the gateway's canonical model deliberately does not keep; half the
students are named by `ref=` to their element in another file. The adapter
must stream past all of it; none of it may reach the store.
"""

from __future__ import annotations

from pathlib import Path

NS = "http://ed-fi.org/5.2.0"
LEA_ID = 255900000
SCHOOL_IDS = (255900101, 255900102)
DROPPED_MARKER = "Undeclared Lane"  # a street name no stored row may contain
_SEX = ("Female", "Male")
_RACE = ("White", "Asian", "Black - African American")  # an earlier Data Standard's spelling


def _open(path: Path, root: str):  # noqa: ANN202
    out = path.open("w", encoding="utf-8")
    out.write(f"<?xml version='1.0' encoding='utf-8'?>\n<{root} xmlns=\"{NS}\">\n")
    return out


def _education_organizations(folder: Path) -> None:
    with _open(folder / "EducationOrganization.xml", "InterchangeEducationOrganization") as out:
        out.write(f"<LocalEducationAgency><LocalEducationAgencyId>{LEA_ID}"
                  "</LocalEducationAgencyId><NameOfInstitution>Large Export District"
                  "</NameOfInstitution><EducationOrganizationCategory>uri://ed-fi.org/"
                  "EducationOrganizationCategoryDescriptor#Local Education Agency"
                  "</EducationOrganizationCategory><LocalEducationAgencyCategory>uri://ed-fi.org/"
                  "LocalEducationAgencyCategoryDescriptor#Independent"
                  "</LocalEducationAgencyCategory></LocalEducationAgency>\n")
        for n, school in enumerate(SCHOOL_IDS, start=1):
            out.write(f"<School id=\"SCH_{school}\"><SchoolId>{school}</SchoolId>"
                      f"<NameOfInstitution>School {n}"
                      "</NameOfInstitution><EducationOrganizationCategory>uri://ed-fi.org/"
                      "EducationOrganizationCategoryDescriptor#School"
                      "</EducationOrganizationCategory><LocalEducationAgencyReference>"
                      "<LocalEducationAgencyIdentity><LocalEducationAgencyId>"
                      f"{LEA_ID}</LocalEducationAgencyId></LocalEducationAgencyIdentity>"
                      "</LocalEducationAgencyReference></School>\n")
        out.write("</InterchangeEducationOrganization>\n")


def _student(uid: int) -> str:
    return (f"<Student id=\"STU_{uid}\"><StudentUniqueId>{uid}</StudentUniqueId><Name>"
            f"<FirstName>First{uid}"
            f"</FirstName><LastSurname>Last{uid}</LastSurname></Name><BirthData><BirthDate>"
            f"2012-0{uid % 9 + 1}-1{uid % 10}</BirthDate><BirthCity>Springfield</BirthCity>"
            "</BirthData></Student>\n")


def _student_reference(uid: int) -> str:
    """Every other student is named by ref= to the Student element in Student.xml (another
    file), the others by key: the id index must stay small however many it holds."""
    if uid % 2:
        return f'<StudentReference ref="STU_{uid}"/>'
    return (f"<StudentReference><StudentIdentity><StudentUniqueId>{uid}</StudentUniqueId>"
            "</StudentIdentity></StudentReference>")


def _school_association(uid: int) -> str:
    return (f"<StudentSchoolAssociation>{_student_reference(uid)}"
            f'<SchoolReference ref="SCH_{SCHOOL_IDS[uid % 2]}"/>'
            "<EntryDate>2026-08-19</EntryDate><EntryGradeLevel>"
            "uri://ed-fi.org/GradeLevelDescriptor#Eighth grade</EntryGradeLevel>"
            "</StudentSchoolAssociation>\n")


def _state_collection(uid: int) -> str:
    """What a state export holds per student and the canonical model drops."""
    addresses = "".join(
        f"<Address><AddressType>uri://ed-fi.org/AddressTypeDescriptor#{kind}</AddressType>"
        f"<StreetNumberName>{uid % 997 + n} {DROPPED_MARKER}</StreetNumberName>"
        "<ApartmentRoomSuiteNumber>Unit 4B</ApartmentRoomSuiteNumber><City>Springfield</City>"
        "<StateAbbreviation>uri://ed-fi.org/StateAbbreviationDescriptor#IL</StateAbbreviation>"
        f"<PostalCode>627{uid % 100:02d}</PostalCode><NameOfCounty>Sangamon</NameOfCounty>"
        "<Latitude>39.7817</Latitude><Longitude>-89.6501</Longitude></Address>"
        for n, kind in enumerate(("Home", "Mailing", "Physical"))
    )
    phones = "".join(
        f"<Telephone><TelephoneNumberType>uri://ed-fi.org/TelephoneNumberTypeDescriptor#{kind}"
        f"</TelephoneNumberType><TelephoneNumber>(217) 555-{uid % 10000:04d}</TelephoneNumber>"
        "<DoNotPublishIndicator>true</DoNotPublishIndicator></Telephone>"
        for kind in ("Home", "Mobile", "Work")
    )
    languages = "".join(
        f"<Language><Language>uri://ed-fi.org/LanguageDescriptor#{code}</Language>"
        "<Use>uri://ed-fi.org/LanguageUseDescriptor#Home language</Use></Language>"
        for code in ("eng", "spa")
    )
    indicators = "".join(
        f"<StudentIndicator><IndicatorName>Indicator {n}</IndicatorName><Indicator>"
        f"{'Yes' if (uid + n) % 3 else 'No'}</Indicator><IndicatorGroup>State Reporting"
        "</IndicatorGroup><Period><BeginDate>2026-08-19</BeginDate></Period></StudentIndicator>"
        for n in range(24)
    )
    codes = "".join(
        f"<StudentIdentificationCode><StudentIdentificationSystem>uri://ed-fi.org/"
        f"StudentIdentificationSystemDescriptor#{system}</StudentIdentificationSystem>"
        f"<AssigningOrganizationIdentificationCode>ISBE</AssigningOrganizationIdentificationCode>"
        f"<IdentificationCode>{system[:1]}{uid:09d}</IdentificationCode>"
        "</StudentIdentificationCode>"
        for system in ("State", "District", "Federal")
    )
    return addresses + phones + languages + indicators + codes


def _education_organization_association(uid: int) -> str:
    return (f"<StudentEducationOrganizationAssociation>{_student_reference(uid)}"
            f"<EducationOrganizationReference><EducationOrganizationIdentity>"
            f"<EducationOrganizationId>{SCHOOL_IDS[uid % 2]}</EducationOrganizationId>"
            "</EducationOrganizationIdentity></EducationOrganizationReference>"
            f"<Sex>uri://ed-fi.org/SexDescriptor#{_SEX[uid % 2]}</Sex>"
            f"<HispanicLatinoEthnicity>{'true' if uid % 5 == 0 else 'false'}"
            f"</HispanicLatinoEthnicity><Race>uri://ed-fi.org/RaceDescriptor#{_RACE[uid % 3]}"
            f"</Race>{_state_collection(uid)}</StudentEducationOrganizationAssociation>\n")


def write_large_set(folder: Path, min_bytes: int, first_uid: int = 1_000_001) -> int:
    """Writes an interchange set of at least `min_bytes` into `folder`, streamed; returns how
    many students it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    _education_organizations(folder)
    students = _open(folder / "Student.xml", "InterchangeStudent")
    enrollment = _open(folder / "StudentEnrollment.xml", "InterchangeStudentEnrollment")
    written, count, uid = 0, 0, first_uid
    with students, enrollment:
        while written < min_bytes:
            person = _student(uid)
            associations = _school_association(uid) + _education_organization_association(uid)
            students.write(person)
            enrollment.write(associations)
            written += len(person) + len(associations)
            count, uid = count + 1, uid + 1
        students.write("</InterchangeStudent>\n")
        enrollment.write("</InterchangeStudentEnrollment>\n")
    return count
