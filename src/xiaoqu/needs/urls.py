

app_name = "needs"
urlpatterns = [
    # --- campaigns and visits (views/visits.py) ---
    # --- opinions from every channel, residents' own pages (views/opinions.py) ---
    # --- demands and demand lists (views/demands.py) ---
]
