from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.index, name="index"),
    path("directory/", views.directory, name="directory"),
    path("trash/", views.trash, name="trash"),
    path("books/new/", views.book_create, name="book-create"),
    path("books/<int:pk>/rename/", views.book_rename, name="book-rename"),
    path("books/<int:pk>/delete/", views.book_delete, name="book-delete"),
    path("books/<int:pk>/export/", views.book_export, name="book-export"),
    path("books/<int:pk>/groups/new/", views.group_create, name="group-create"),
    path("groups/<int:pk>/", views.group_edit, name="group-edit"),
    path("new/", views.contact_create, name="create"),
    path("<int:pk>/", views.contact_detail, name="detail"),
    path("<int:pk>/edit/", views.contact_edit, name="edit"),
    path("<int:pk>/delete/", views.contact_delete, name="delete"),
    path("<int:pk>/restore/", views.contact_restore, name="restore"),
    path("<int:pk>/purge/", views.contact_purge, name="purge"),
    path("<int:pk>/photo/", views.contact_photo, name="photo"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import-detail"),
]
