from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Patient
from integration.models import Reflection, ReflectionPrompt
from kap_clinic.accounts.models import User
from sessions.models import Course

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_patient_writes_a_reflection_to_a_prompt_and_shares_it(
    patient: Patient, patient_user: User, course: Course, therapist: User
) -> None:
    prompt = ReflectionPrompt.objects.create(text="What stayed with you?")
    client = _client(patient_user)
    response = client.post(
        reverse("integration:reflection_list"),
        {"text": "The colours of the sea.", "prompt": str(prompt.uuid), "shared": "on"},
    )
    assert response.status_code == 302
    reflection = Reflection.objects.get()
    assert reflection.prompt == prompt
    assert reflection.course == course
    assert reflection.shared_with_therapist
    page = _client(therapist).get(reverse("integration:course_integration", args=[course.uuid]))
    assert b"The colours of the sea." in page.content


def test_unshared_reflections_stay_out_of_the_therapists_view(
    patient_user: User, course: Course, therapist: User
) -> None:
    client = _client(patient_user)
    client.post(reverse("integration:reflection_list"), {"text": "Private thought."})
    reflection = Reflection.objects.get()
    assert not reflection.shared_with_therapist
    url = reverse("integration:course_integration", args=[course.uuid])
    assert b"Private thought." not in _client(therapist).get(url).content
    client.post(reverse("integration:reflection_share", args=[reflection.uuid]), {"shared": "on"})
    assert b"Private thought." in _client(therapist).get(url).content
    client.post(reverse("integration:reflection_share", args=[reflection.uuid]), {})
    assert b"Private thought." not in _client(therapist).get(url).content


def test_an_empty_reflection_is_refused_with_a_message(patient_user: User, course: Course) -> None:
    response = _client(patient_user).post(
        reverse("integration:reflection_list"), {"text": "  ", "prompt": "not-a-uuid"}
    )
    assert response.status_code == 400
    assert b"needs some text" in response.content
    assert not Reflection.objects.exists()


def test_another_patient_cannot_change_sharing_of_a_reflection(
    patient_user: User, other_patient: Patient, course: Course
) -> None:
    _client(patient_user).post(reverse("integration:reflection_list"), {"text": "Mine."})
    reflection = Reflection.objects.get()
    assert other_patient.user is not None
    response = _client(other_patient.user).post(
        reverse("integration:reflection_share", args=[reflection.uuid]), {"shared": "on"}
    )
    assert response.status_code == 404
    reflection.refresh_from_db()
    assert not reflection.shared_with_therapist


def test_reflection_page_query_budget_holds_with_1_and_50(
    django_assert_max_num_queries: object, patient: Patient, patient_user: User
) -> None:
    client = _client(patient_user)
    Reflection.objects.create(patient=patient, text="one")
    url = reverse("integration:reflection_list")
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(url).status_code == 200
    Reflection.objects.bulk_create(Reflection(patient=patient, text=f"r{n}") for n in range(49))
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(url).status_code == 200
