"""A card processor that declines every card: the state's Catch takes over."""


class CardDeclined(Exception):
    pass


def lambda_handler(event, context):
    raise CardDeclined(f"card ending {event['card'][-4:]} was declined for {event['amount']}")
