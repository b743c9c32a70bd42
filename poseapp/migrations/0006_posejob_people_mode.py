from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('poseapp', '0005_job_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='posejob',
            name='people_mode',
            field=models.CharField(choices=[('one', 'One person'), ('several', 'Several people')], default='one', max_length=10, verbose_name='people'),
        ),
    ]
