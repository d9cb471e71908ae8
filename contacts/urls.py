from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.index, name="index"),
    path("directory/", views.directory, name="directory"),
    path("trash/", views.trash, name="trash"),
    path("books/new/", views.book_create, name="book-create"),
    path("books/<book:pk>/rename/", views.book_rename, name="book-rename"),
    path("books/<book:pk>/delete/", views.book_delete, name="book-delete"),
    path("books/<book:pk>/export/", views.book_export, name="book-export"),
    path("new/", views.contact_create, name="create"),
    path("<contact:pk>/", views.contact_detail, name="detail"),
    path("<contact:pk>/edit/", views.contact_edit, name="edit"),
    path("<contact:pk>/delete/", views.contact_delete, name="delete"),
    path("<contact:pk>/restore/", views.contact_restore, name="restore"),
    path("<contact:pk>/purge/", views.contact_purge, name="purge"),
    path("<contact:pk>/photo/", views.contact_photo, name="photo"),
    path("import/", views.import_upload, name="import"),
    path("import/<contact_import:pk>/", views.import_detail, name="import-detail"),
]
